import type { AppContext } from '../../app/context.js';
import { conflict, notFound } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { UsersRepository } from '../users/repository.js';
import { createUser, requireRestaurant } from '../users/service.js';
import { CustomersRepository } from './repository.js';

export interface CustomerLoginView {
  userId: string;
  username: string;
  customerId: string;
  mustChangePassword: boolean;
}

/**
 * Gives a customer record a login of role `customer`, with a temporary password the customer must
 * change at first sign-in. A customer login reaches only its own record and orders, which is the
 * data subject's own access; granting it is therefore a privacy decision (`privacy.manage`, held
 * by admins and managers), not a counter task. One login per customer.
 */
export async function linkCustomerLogin(
  context: AppContext,
  principal: Principal,
  customerId: string,
  input: { username: string; temporaryPassword: string },
  source: RequestSource,
): Promise<CustomerLoginView> {
  return inTransaction(context.database, async (tx) => {
    const customers = new CustomersRepository(tx, principal.restaurantId);
    const customer = await customers.findById(customerId, context.database.dialect === 'postgres');
    if (!customer) throw notFound();
    if (await customers.hasLogin(customer.id)) throw conflict('This customer already has a login.');

    const restaurant = await requireRestaurant(tx, principal.restaurantId);
    const user = await createUser(
      context,
      tx,
      restaurant,
      {
        username: input.username,
        displayName: customer.name,
        role: 'customer',
        password: input.temporaryPassword,
      },
      { actor: actorOf(principal), source, temporaryPassword: true },
    );
    await new UsersRepository(tx, principal.restaurantId).update(user.id, {
      customer_id: customer.id,
    });

    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'customer.link_login',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'customer', id: customer.id },
      details: { userId: user.id },
    });
    return {
      userId: user.id,
      username: user.username,
      customerId: customer.id,
      mustChangePassword: true,
    };
  });
}
