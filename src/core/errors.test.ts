import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { AppError, ERROR_CATALOG } from './errors.js';

const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Map(
  [...docs.matchAll(/^\|\s*`(POS_ERR_[A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
    m[1],
    Number(m[2]),
  ]),
);

describe('error catalog', () => {
  it('documents every code with its status in docs/errors.md', () => {
    const catalog = new Map(Object.entries(ERROR_CATALOG).map(([code, e]) => [code, e.status]));
    expect(documented).toEqual(catalog);
  });

  it('uses only POS_ERR_ codes', () => {
    for (const code of Object.keys(ERROR_CATALOG)) expect(code).toMatch(/^POS_ERR_[A-Z_]+$/);
  });

  it('builds errors whose status comes from the catalog', () => {
    const error = new AppError('POS_ERR_CONFLICT');
    expect(error.statusCode).toBe(409);
    expect(error.message).toBe(ERROR_CATALOG.POS_ERR_CONFLICT.message);
  });
});
