import { foundation } from './001-foundation.js';
import { identity } from './002-identity.js';
import { catalog } from './003-catalog.js';
import { orders } from './004-orders.js';
import { payments } from './005-payments.js';
import { protection } from './006-protection.js';
import { monitoring } from './007-monitoring.js';
import { paymentLookups } from './008-payment-lookups.js';
import type { Migration } from './migration.js';

/** Every migration, oldest first. Append new ones; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  foundation,
  identity,
  catalog,
  orders,
  payments,
  protection,
  monitoring,
  paymentLookups,
];
