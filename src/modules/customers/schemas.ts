import { Type, type Static, type TSchema } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const Name = Type.String({ minLength: 1, maxLength: 120 });
const Cpf = Type.String({ minLength: 11, maxLength: 20 });
const Cnpj = Type.String({ minLength: 14, maxLength: 24 });
const Email = Type.String({ minLength: 3, maxLength: 254 });
const Phone = Type.String({ minLength: 8, maxLength: 30 });
const BirthDate = Type.String({ minLength: 10, maxLength: 10 });

export const AddressInput = Type.Object(
  {
    street: Type.String({ minLength: 1, maxLength: 120 }),
    number: Type.Optional(Type.String({ maxLength: 20 })),
    complement: Type.Optional(Type.String({ maxLength: 60 })),
    district: Type.Optional(Type.String({ maxLength: 60 })),
    city: Type.String({ minLength: 1, maxLength: 60 }),
    state: Type.String({ minLength: 2, maxLength: 2 }),
    postalCode: Type.Optional(Type.String({ maxLength: 10 })),
  },
  closed,
);

/** A masked address has only city and state; a revealed one has every part stored. */
const AddressView = Type.Object({
  street: Type.Optional(Type.String()),
  number: Type.Optional(Type.String()),
  complement: Type.Optional(Type.String()),
  district: Type.Optional(Type.String()),
  city: Type.String(),
  state: Type.String(),
  postalCode: Type.Optional(Type.String()),
});

/**
 * A customer as the API shows it. Personal data is masked (`***.456.789-**`) unless `masked` is
 * false, which only an audited `?reveal=true` read by a `customer.manage` principal produces.
 */
export const CustomerView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  cpf: Nullable(Type.String()),
  cnpj: Nullable(Type.String()),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  address: Nullable(AddressView),
  birthDate: Nullable(Type.String()),
  masked: Type.Boolean(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const CreateCustomerBody = Type.Object(
  {
    name: Name,
    cpf: Type.Optional(Cpf),
    cnpj: Type.Optional(Cnpj),
    email: Type.Optional(Email),
    phone: Type.Optional(Phone),
    address: Type.Optional(AddressInput),
    birthDate: Type.Optional(BirthDate),
  },
  closed,
);
export type CreateCustomerBody = Static<typeof CreateCustomerBody>;

/** `null` clears a field; anything not listed (id, restaurant, login) cannot be set here. */
export const UpdateCustomerBody = Type.Object(
  {
    name: Type.Optional(Name),
    cpf: Type.Optional(Nullable(Cpf)),
    cnpj: Type.Optional(Nullable(Cnpj)),
    email: Type.Optional(Nullable(Email)),
    phone: Type.Optional(Nullable(Phone)),
    address: Type.Optional(Nullable(AddressInput)),
    birthDate: Type.Optional(Nullable(BirthDate)),
  },
  { ...closed, minProperties: 1 },
);
export type UpdateCustomerBody = Static<typeof UpdateCustomerBody>;

/** Exactly one identifier, in the body so it never lands in a URL, log line or proxy cache. */
export const LookupCustomerBody = Type.Union([
  Type.Object({ cpf: Cpf }, closed),
  Type.Object({ cnpj: Cnpj }, closed),
  Type.Object({ email: Email }, closed),
  Type.Object({ phone: Phone }, closed),
]);
export type LookupCustomerBody = Static<typeof LookupCustomerBody>;

export const CustomerParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  closed,
);

export const GetCustomerQuery = Type.Object({ reveal: Type.Optional(Type.Boolean()) }, closed);

export const ListCustomersQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 600 })),
    search: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
  },
  closed,
);

export const CustomerPage = Type.Object({
  items: Type.Array(CustomerView),
  nextCursor: Nullable(Type.String()),
});

export const CustomerMatches = Type.Object({ items: Type.Array(CustomerView) });

export const CreateLoginBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 32 }),
    temporaryPassword: Type.String({ minLength: 1, maxLength: 128 }),
  },
  closed,
);

export const CustomerLoginView = Type.Object({
  userId: Type.String(),
  username: Type.String(),
  customerId: Type.String(),
  mustChangePassword: Type.Boolean(),
});
