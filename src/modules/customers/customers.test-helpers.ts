import { expect } from 'vitest';

import type { TestApp } from '../../../test/helpers/app.js';
import type { SignedInUser } from '../../../test/helpers/auth.js';
import type { Restaurant } from '../restaurants/repository.js';

/** Shared by the customer suites. */

export const MARIA = {
  name: 'Maria Silva',
  cpf: '123.456.789-09',
  email: 'Maria.Silva@Example.com',
  phone: '(11) 98765-4321',
  address: {
    street: 'Rua das Palmeiras',
    number: '120',
    city: 'São Paulo',
    state: 'SP',
    postalCode: '01310-100',
  },
  birthDate: '1990-05-17',
};

export interface CustomerBody {
  id: string;
  name: string;
  cpf: string | null;
  email: string | null;
  phone: string | null;
  masked: boolean;
}

let cpfCounter = 0;
/** Valid CPFs distinct per test, so uniqueness never couples two tests. */
export function nextCpf(): string {
  const base = String(100_000_000 + (cpfCounter += 7919)).slice(0, 9);
  const digit = (digits: string, weight: number) => {
    const sum = [...digits].reduce((acc, d, i) => acc + Number(d) * (weight - i), 0);
    const rest = (sum * 10) % 11;
    return rest === 10 ? 0 : rest;
  };
  const first = digit(base, 10);
  return `${base}${first}${digit(`${base}${first}`, 11)}`;
}

/** Signs a freshly linked customer in, changing the temporary password as required. */
export async function customerSession(
  t: TestApp,
  restaurant: Restaurant,
  username: string,
  temporaryPassword: string,
): Promise<SignedInUser> {
  const login = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { restaurant: restaurant.slug, username, password: temporaryPassword },
  });
  expect(login.statusCode).toBe(200);
  const restricted = {
    authorization: `Bearer ${login.json<{ accessToken: string }>().accessToken}`,
  };
  const newPassword = 'Goiabada-Cascao-Minas-88';
  const change = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/password',
    headers: restricted,
    payload: { currentPassword: temporaryPassword, newPassword },
  });
  expect(change.statusCode).toBe(200);
  const accessToken = change.json<{ accessToken: string }>().accessToken;
  return {
    id: '',
    username,
    role: 'customer',
    restaurantId: restaurant.id,
    restaurantSlug: restaurant.slug,
    password: newPassword,
    accessToken,
    refreshToken: '',
    totpSecret: null,
    headers: { authorization: `Bearer ${accessToken}` },
  };
}
