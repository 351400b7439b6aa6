import { createHash } from 'node:crypto';

import type { AppContext } from '../../app/context.js';
import { notFound } from '../../core/errors.js';
import { CategoriesRepository, ProductsRepository } from '../catalog/repository.js';
import { RestaurantsRepository, type Restaurant } from '../restaurants/repository.js';

export interface MenuItem {
  id: string;
  name: string;
  description: string | null;
  priceCents: number;
  imageUrl: string | null;
}

export interface MenuSection {
  category: string | null;
  items: MenuItem[];
}

export interface Menu {
  restaurant: { name: string; slug: string; currency: string };
  sections: MenuSection[];
}

/** The restaurant a public URL names; an unknown slug is a plain 404. */
export async function restaurantBySlug(context: AppContext, slug: string): Promise<Restaurant> {
  const restaurant = await new RestaurantsRepository(context.database.kysely).findBySlug(slug);
  if (!restaurant) throw notFound();
  return restaurant;
}

/**
 * The public menu: live, available, in-stock products grouped by category name in the
 * restaurant's order. Category ids are replaced by names; product ids stay, as ordering needs
 * them. Nothing here depends on who asks, so it can be cached publicly.
 */
export async function publicMenu(context: AppContext, slug: string): Promise<Menu> {
  const restaurant = await restaurantBySlug(context, slug);
  const db = context.database.kysely;
  const [categories, products] = await Promise.all([
    new CategoriesRepository(db, restaurant.id).listInMenuOrder(),
    new ProductsRepository(db, restaurant.id).listOnMenu(),
  ]);

  const sections = new Map<string | null, MenuSection>(
    categories.map((category) => [category.id, { category: category.name, items: [] }]),
  );
  const uncategorized: MenuSection = { category: null, items: [] };
  for (const product of products) {
    const section = (product.category_id && sections.get(product.category_id)) || uncategorized;
    section.items.push({
      id: product.id,
      name: product.name,
      description: product.description,
      priceCents: product.price_cents,
      imageUrl: product.image_name
        ? `/api/v1/menu/${encodeURIComponent(restaurant.slug)}/products/${product.id}/image`
        : null,
    });
  }

  return {
    restaurant: { name: restaurant.name, slug: restaurant.slug, currency: restaurant.currency },
    sections: [...sections.values(), uncategorized].filter((section) => section.items.length > 0),
  };
}

/** A strong validator for a representation: the hash of its exact JSON. */
export function entityTag(body: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url')}"`;
}

/**
 * Whether an `If-None-Match` header matches `etag` (RFC 9110 §13.1.2): `*`, or any listed tag
 * under weak comparison, so a `W/` prefix added by a proxy still matches. Hand-written because
 * the rule is a few lines and the project has no ETag plugin.
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;

  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}
