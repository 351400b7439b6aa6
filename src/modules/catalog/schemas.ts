import { Type, type Static, type TSchema } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;
const Id = Type.String({ minLength: 1, maxLength: 64 });
const Cents = Type.Integer({ minimum: 0, maximum: 100_000_000 });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const CategoryView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  sortOrder: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const CreateCategoryBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 60 }),
    sortOrder: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  closed,
);
export type CreateCategoryBody = Static<typeof CreateCategoryBody>;

/**
 * A product as staff see it. `costCents` is present only for principals holding
 * `report.financial`; the serializer drops nothing else because nothing else is declared.
 */
export const ProductView = Type.Object({
  id: Type.String(),
  categoryId: Nullable(Type.String()),
  name: Type.String(),
  description: Nullable(Type.String()),
  priceCents: Type.Integer(),
  costCents: Type.Optional(Nullable(Type.Integer())),
  available: Type.Boolean(),
  stockQuantity: Nullable(Type.Integer()),
  hasImage: Type.Boolean(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const productFields = {
  name: Type.String({ minLength: 1, maxLength: 120 }),
  description: Nullable(Type.String({ maxLength: 500 })),
  priceCents: Cents,
  costCents: Nullable(Cents),
  categoryId: Nullable(Id),
  available: Type.Boolean(),
  stockQuantity: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
};

export const CreateProductBody = Type.Object(
  {
    name: productFields.name,
    description: Type.Optional(productFields.description),
    priceCents: productFields.priceCents,
    costCents: Type.Optional(productFields.costCents),
    categoryId: Type.Optional(productFields.categoryId),
    available: Type.Optional(productFields.available),
    stockQuantity: Type.Optional(productFields.stockQuantity),
  },
  closed,
);
export type CreateProductBody = Static<typeof CreateProductBody>;

/** Only catalog fields; id, restaurant, image and deletion have no say here (mass assignment). */
export const UpdateProductBody = Type.Object(
  {
    name: Type.Optional(productFields.name),
    description: Type.Optional(productFields.description),
    priceCents: Type.Optional(productFields.priceCents),
    costCents: Type.Optional(productFields.costCents),
    categoryId: Type.Optional(productFields.categoryId),
    available: Type.Optional(productFields.available),
    stockQuantity: Type.Optional(productFields.stockQuantity),
  },
  { ...closed, minProperties: 1 },
);
export type UpdateProductBody = Static<typeof UpdateProductBody>;

export const ProductParams = Type.Object({ id: Id }, closed);

const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 50 });
const Cursor = Type.String({ minLength: 1, maxLength: 600 });

export const ListCategoriesQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  closed,
);

export const ListProductsQuery = Type.Object(
  {
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
    categoryId: Type.Optional(Id),
    available: Type.Optional(Type.Boolean()),
    search: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
  },
  closed,
);

export const CategoryPage = Type.Object({
  items: Type.Array(CategoryView),
  nextCursor: Nullable(Type.String()),
});

export const ProductPage = Type.Object({
  items: Type.Array(ProductView),
  nextCursor: Nullable(Type.String()),
});
