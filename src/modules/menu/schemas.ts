import { Type } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;

export const MenuParams = Type.Object(
  { restaurantSlug: Type.String({ minLength: 1, maxLength: 64 }) },
  closed,
);

export const MenuImageParams = Type.Object(
  {
    restaurantSlug: Type.String({ minLength: 1, maxLength: 64 }),
    id: Type.String({ minLength: 1, maxLength: 64 }),
  },
  closed,
);

/** A menu item: what a guest needs to choose and order, never cost, stock or internal flags. */
export const MenuItem = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  priceCents: Type.Integer(),
  imageUrl: Type.Union([Type.String(), Type.Null()]),
});

export const MenuSection = Type.Object({
  /** The category's name; null for items without a category. */
  category: Type.Union([Type.String(), Type.Null()]),
  items: Type.Array(MenuItem),
});

export const Menu = Type.Object({
  restaurant: Type.Object({ name: Type.String(), slug: Type.String(), currency: Type.String() }),
  sections: Type.Array(MenuSection),
});
