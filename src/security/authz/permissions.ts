/**
 * Roles, permissions and the matrix between them: the seed's `ROLE_PERMISSIONS` for the
 * permissions it names, plus the product's additions (SPEC section 4). This file is the only
 * place a role gains or loses a permission.
 */
export const ROLES = ['admin', 'manager', 'cashier', 'waiter', 'kitchen', 'customer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
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
  'customer.read',
  'customer.manage',
  'cashier.operate',
  'privacy.manage',
  'audit.read',
  'incident.manage',
  'apikey.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
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
    'customer.read',
    'customer.manage',
    'cashier.operate',
    'privacy.manage',
  ],
  cashier: [
    'order.create',
    'order.read',
    'order.update',
    'payment.process',
    'payment.view',
    'report.sales',
    'customer.read',
    'customer.manage',
    'cashier.operate',
  ],
  waiter: ['order.create', 'order.read', 'order.update', 'customer.read'],
  kitchen: ['order.read', 'order.update'],
  customer: ['order.read'],
};

const MATRIX = new Map<Role, ReadonlySet<Permission>>(
  ROLES.map((role) => [role, new Set(ROLE_PERMISSIONS[role])]),
);

const NO_PERMISSIONS: ReadonlySet<Permission> = new Set();

/** The permissions of `role`, one shared set per role: principals read it, nobody changes it. */
export function permissionsOf(role: Role): ReadonlySet<Permission> {
  return MATRIX.get(role) ?? NO_PERMISSIONS;
}

export function roleHasPermission(role: Role, permission: Permission): boolean {
  return MATRIX.get(role)?.has(permission) ?? false;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
