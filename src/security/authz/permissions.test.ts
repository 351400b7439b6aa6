import { describe, expect, it } from 'vitest';

import {
  PERMISSIONS,
  ROLES,
  ROLE_PERMISSIONS,
  isPermission,
  isRole,
  roleHasPermission,
  type Permission,
  type Role,
} from './permissions.js';

// The expectations below are written out by hand from the two sources, never derived from the
// code's matrix, so a permission granted or withdrawn by mistake fails here.

/** The seed's roles (seed 000, section 2.3, `class Role`). */
const SEED_ROLES = ['admin', 'manager', 'cashier', 'waiter', 'kitchen', 'customer'] as const;

/** The seed's `ROLE_PERMISSIONS` (seed 000, section 2.3), transcribed role by role. */
const SEED_MATRIX: Record<(typeof SEED_ROLES)[number], string[]> = {
  // `[p for p in Permission]`: every permission of the seed's enum.
  admin: [
    'order.create',
    'order.read',
    'order.update',
    'order.delete',
    'order.cancel',
    'payment.process',
    'payment.refund',
    'payment.view',
    'product.create',
    'product.update',
    'product.delete',
    'report.sales',
    'report.financial',
    'report.inventory',
    'system.config',
    'system.backup',
    'user.manage',
  ],
  manager: [
    'order.create',
    'order.read',
    'order.update',
    'order.cancel',
    'payment.process',
    'payment.refund',
    'payment.view',
    'product.update',
    'report.sales',
    'report.financial',
    'report.inventory',
  ],
  cashier: [
    'order.create',
    'order.read',
    'order.update',
    'payment.process',
    'payment.view',
    'report.sales',
  ],
  waiter: ['order.create', 'order.read', 'order.update'],
  kitchen: ['order.read', 'order.update'],
  customer: ['order.read'],
};

/** The product's additions and their default assignment (SPEC section 4), row by row. */
const SPEC_ADDITIONS: Record<string, string[]> = {
  'customer.read': ['admin', 'manager', 'cashier', 'waiter'],
  'customer.manage': ['admin', 'manager', 'cashier'],
  'cashier.operate': ['admin', 'manager', 'cashier'],
  'privacy.manage': ['admin', 'manager'],
  'audit.read': ['admin'],
  'incident.manage': ['admin'],
  'apikey.manage': ['admin'],
};

/**
 * Permissions the code holds that neither the seed nor SPEC section 4 names, each with a comment
 * saying where it comes from. None today: a new one must be added here, with its source.
 */
const CODE_ONLY_ADDITIONS: Record<string, string[]> = {};

/** What each role must hold: the seed's grants plus every addition assigned to it. */
function expectedGrants(role: string): string[] {
  const additions = { ...SPEC_ADDITIONS, ...CODE_ONLY_ADDITIONS };
  const added = Object.keys(additions).filter((permission) =>
    additions[permission]?.includes(role),
  );
  return [...(SEED_MATRIX[role as (typeof SEED_ROLES)[number]] ?? []), ...added];
}

const sorted = (values: readonly string[]): string[] => [...values].sort();

describe('role permissions', () => {
  describe('the vocabulary', () => {
    it('has exactly the roles of the seed', () => {
      expect(sorted(ROLES)).toEqual(sorted(SEED_ROLES));
    });

    it("has exactly the seed's permissions plus SPEC section 4's additions", () => {
      const expected = [
        ...SEED_MATRIX.admin,
        ...Object.keys(SPEC_ADDITIONS),
        ...Object.keys(CODE_ONLY_ADDITIONS),
      ];

      expect(sorted(PERMISSIONS)).toEqual(sorted(expected));
    });

    it('names no permission twice', () => {
      expect(new Set(PERMISSIONS).size).toBe(PERMISSIONS.length);
    });
  });

  describe('the matrix', () => {
    it.each(SEED_ROLES)('grants %s exactly what the seed and SPEC section 4 assign', (role) => {
      const granted = ROLE_PERMISSIONS[role];

      expect(sorted(granted)).toEqual(sorted(expectedGrants(role)));
      expect(new Set(granted).size).toBe(granted.length);
    });

    it('answers roleHasPermission for every role and permission as the matrix says', () => {
      const disagreements: string[] = [];
      for (const role of SEED_ROLES) {
        const expected = new Set(expectedGrants(role));
        for (const permission of PERMISSIONS) {
          if (roleHasPermission(role, permission) !== expected.has(permission)) {
            disagreements.push(`${role} ${permission}`);
          }
        }
      }

      expect(disagreements).toEqual([]);
    });

    it('gives admin every permission', () => {
      expect(PERMISSIONS.every((permission) => roleHasPermission('admin', permission))).toBe(true);
    });

    it('gives the customer role nothing but reading orders', () => {
      const granted = PERMISSIONS.filter((permission) => roleHasPermission('customer', permission));

      expect(granted).toEqual(['order.read']);
    });
  });

  describe('security', () => {
    it('grants nothing to a role name it does not know', () => {
      expect(roleHasPermission('owner' as Role, 'order.read')).toBe(false);
      expect(roleHasPermission('__proto__' as Role, 'order.read')).toBe(false);
    });

    it('grants no permission name it does not know', () => {
      expect(roleHasPermission('admin', 'order.*' as Permission)).toBe(false);
      expect(roleHasPermission('admin', 'constructor' as Permission)).toBe(false);
    });

    it('recognises only the exact role and permission names', () => {
      expect(isRole('admin')).toBe(true);
      expect(isRole('Admin')).toBe(false);
      expect(isRole('admin ')).toBe(false);
      expect(isRole('toString')).toBe(false);
      expect(isPermission('audit.read')).toBe(true);
      expect(isPermission('AUDIT.READ')).toBe(false);
      expect(isPermission('audit')).toBe(false);
      expect(isPermission('hasOwnProperty')).toBe(false);
    });
  });
});
