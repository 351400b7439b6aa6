import { AppError } from '../../core/errors.js';
import type { OrderStatus } from '../../infra/db/schema.js';
import { roleHasPermission, type Permission, type Role } from '../../security/authz/permissions.js';

export const ORDER_STATUSES = [
  'open',
  'in_kitchen',
  'ready',
  'served',
  'paid',
  'cancelled',
] as const satisfies readonly OrderStatus[];

/** What moves an order: a floor action, the kitchen's tickets, money, or a cancellation. */
export type OrderTrigger = 'send' | 'kitchen' | 'payment' | 'refund' | 'cancel';

export interface OrderTransition {
  from: OrderStatus;
  to: OrderStatus;
  trigger: OrderTrigger;
  /** The permission the acting principal must hold. */
  permission: Permission;
  /** Roles refused even when they hold the permission. */
  deniedRoles?: readonly Role[];
  /** A condition on the order checked by the service that takes the transition. */
  guard?: 'paid_cents_zero' | 'total_covered' | 'total_uncovered';
}

/**
 * Kitchen staff hold `order.update` only to move tickets (SPEC section 4): every floor action on
 * an order's items, discount or sending refuses them.
 */
export const KITCHEN_ONLY_ROLES: readonly Role[] = ['kitchen'];

const LIVE: readonly OrderStatus[] = ['open', 'in_kitchen', 'ready', 'served'];

/**
 * The order state machine, as data so that payments and the documentation read the same table
 * the services enforce (docs/orders.md draws it):
 * - `send` puts the unsent items on a kitchen ticket; a new round re-opens the kitchen from
 *   `ready` or `served`;
 * - `kitchen` follows the tickets: ready when none is still queued or preparing, served when
 *   every ticket is served or bumped;
 * - `payment` is taken only by the payments module, when captured payments cover the total;
 *   `refund` likewise, when a refund leaves a paid order's total uncovered again;
 * - `cancel` needs `order.cancel` and no captured payment.
 */
export const ORDER_TRANSITIONS: readonly OrderTransition[] = [
  ...(['open', 'ready', 'served'] as const).map((from): OrderTransition => ({
    from,
    to: 'in_kitchen',
    trigger: 'send',
    permission: 'order.update',
    deniedRoles: KITCHEN_ONLY_ROLES,
  })),
  { from: 'in_kitchen', to: 'ready', trigger: 'kitchen', permission: 'order.update' },
  { from: 'ready', to: 'served', trigger: 'kitchen', permission: 'order.update' },
  ...LIVE.map((from): OrderTransition => ({
    from,
    to: 'paid',
    trigger: 'payment',
    permission: 'payment.process',
    guard: 'total_covered',
  })),
  {
    from: 'paid',
    to: 'served',
    trigger: 'refund',
    permission: 'payment.refund',
    guard: 'total_uncovered',
  },
  ...LIVE.map((from): OrderTransition => ({
    from,
    to: 'cancelled',
    trigger: 'cancel',
    permission: 'order.cancel',
    guard: 'paid_cents_zero',
  })),
];

/** Who is acting: a role, or a principal's role and permissions (API keys have no role). */
export type TransitionActor = Role | { role: Role | null; permissions: ReadonlySet<Permission> };

/** The transition from `from` to `to`, if the machine has one. */
export function findTransition(from: OrderStatus, to: OrderStatus): OrderTransition | undefined {
  return ORDER_TRANSITIONS.find((t) => t.from === from && t.to === to);
}

/**
 * True when the machine allows `from` → `to` and the actor may take it. Guards on the order's
 * amounts (`guard`) are the caller's to check inside its transaction.
 */
export function canTransition(from: OrderStatus, to: OrderStatus, actor: TransitionActor): boolean {
  const transition = findTransition(from, to);
  if (!transition) return false;

  const role = typeof actor === 'string' ? actor : actor.role;
  if (role && transition.deniedRoles?.includes(role)) return false;

  return typeof actor === 'string'
    ? roleHasPermission(actor, transition.permission)
    : actor.permissions.has(transition.permission);
}

/**
 * Throws unless `from` → `to` is a transition of the machine (409 POS_ERR_INVALID_TRANSITION)
 * that the actor may take (403 POS_ERR_FORBIDDEN).
 */
export function assertTransition(from: OrderStatus, to: OrderStatus, actor: TransitionActor): void {
  if (!findTransition(from, to)) throw new AppError('POS_ERR_INVALID_TRANSITION');
  if (!canTransition(from, to, actor)) throw new AppError('POS_ERR_FORBIDDEN');
}

/** Paid and cancelled orders take no more changes (a refund reopens a paid one first). */
export function isClosed(status: OrderStatus): boolean {
  return status === 'paid' || status === 'cancelled';
}

/** Refuses item, discount and send changes on a closed order (409 POS_ERR_ORDER_CLOSED). */
export function assertOpenForChanges(status: OrderStatus): void {
  if (isClosed(status)) throw new AppError('POS_ERR_ORDER_CLOSED');
}

/** Refuses floor actions (items, discount, send) to kitchen-only roles. */
export function assertFloorActor(role: Role | null): void {
  if (role && KITCHEN_ONLY_ROLES.includes(role)) throw new AppError('POS_ERR_FORBIDDEN');
}
