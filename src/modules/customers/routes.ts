import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf } from '../../security/authz/principal.js';
import { linkCustomerLogin } from './login.js';
import {
  CreateCustomerBody,
  CreateLoginBody,
  CustomerLoginView,
  CustomerMatches,
  CustomerPage,
  CustomerParams,
  CustomerView,
  GetCustomerQuery,
  ListCustomersQuery,
  LookupCustomerBody,
  UpdateCustomerBody,
} from './schemas.js';
import { lookupCustomers } from './lookup.js';
import { createCustomer, getCustomer, listCustomers, updateCustomer } from './service.js';

const read = { access: { permission: 'customer.read' as const } };
const manage = { access: { permission: 'customer.manage' as const } };

/** Customers of the caller's restaurant, their personal data encrypted at rest and masked. */
export async function customerRoutes(app: App, context: AppContext): Promise<void> {
  app.get(
    '/api/v1/customers',
    { config: read, schema: { querystring: ListCustomersQuery, response: { 200: CustomerPage } } },
    async (request) => {
      const { limit = 50, ...options } = request.query;
      return listCustomers(context, principalOf(request), { limit, ...options });
    },
  );

  app.post(
    '/api/v1/customers',
    { config: manage, schema: { body: CreateCustomerBody, response: { 201: CustomerView } } },
    async (request, reply) => {
      const customer = await createCustomer(
        context,
        principalOf(request),
        request.body,
        sourceOf(request),
      );

      return reply.code(201).send(customer);
    },
  );

  app.post(
    '/api/v1/customers/lookup',
    { config: read, schema: { body: LookupCustomerBody, response: { 200: CustomerMatches } } },
    async (request) =>
      lookupCustomers(context, principalOf(request), request.body, sourceOf(request)),
  );

  // Open to every signed-in principal: staff need `customer.read` and a customer login reaches
  // only its own record; the service applies both rules.
  app.get(
    '/api/v1/customers/:id',
    {
      config: { access: { authenticated: true } },
      schema: {
        params: CustomerParams,
        querystring: GetCustomerQuery,
        response: { 200: CustomerView },
      },
    },
    async (request) =>
      getCustomer(
        context,
        principalOf(request),
        request.params.id,
        { reveal: request.query.reveal === true },
        sourceOf(request),
      ),
  );

  app.patch(
    '/api/v1/customers/:id',
    {
      config: manage,
      schema: { params: CustomerParams, body: UpdateCustomerBody, response: { 200: CustomerView } },
    },
    async (request) =>
      updateCustomer(
        context,
        principalOf(request),
        request.params.id,
        request.body,
        sourceOf(request),
      ),
  );

  app.post(
    '/api/v1/customers/:id/login',
    {
      config: { access: { permission: 'privacy.manage' } },
      schema: {
        params: CustomerParams,
        body: CreateLoginBody,
        response: { 201: CustomerLoginView },
      },
    },
    async (request, reply) => {
      const login = await linkCustomerLogin(
        context,
        principalOf(request),
        request.params.id,
        request.body,
        sourceOf(request),
      );

      return reply.code(201).send(login);
    },
  );
}
