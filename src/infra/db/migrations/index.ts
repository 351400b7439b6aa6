import { foundation } from './001-foundation.js';
import { identity } from './002-identity.js';
import type { Migration } from './migration.js';

/** Every migration, oldest first. Append new ones; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [foundation, identity];
