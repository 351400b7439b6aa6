import { AppError } from '../../core/errors.js';
import type { KitchenTicketStatus } from '../../infra/db/schema.js';
import type { Role } from '../../security/authz/permissions.js';

export const TICKET_STATUSES = [
  'queued',
  'preparing',
  'ready',
  'served',
  'bumped',
  'cancelled',
] as const satisfies readonly KitchenTicketStatus[];

/** Statuses a ticket is still on the kitchen's screen in. */
export const ACTIVE_TICKET_STATUSES: readonly KitchenTicketStatus[] = [
  'queued',
  'preparing',
  'ready',
];

const KITCHEN_CREW: readonly Role[] = ['kitchen', 'manager', 'admin'];

export interface TicketTransition {
  from: KitchenTicketStatus;
  to: KitchenTicketStatus;
  /** Roles that may take it; principals without a role (API keys) go by their scopes alone. */
  roles: readonly Role[];
}

/**
 * How a ticket moves. The kitchen cooks (queued → preparing → ready); whoever takes the plate to
 * the table marks it served, and the kitchen may bump a ready ticket off its screen instead
 * (a counter hand-over). `cancelled` is set only when the order is cancelled or deleted.
 */
export const TICKET_TRANSITIONS: readonly TicketTransition[] = [
  { from: 'queued', to: 'preparing', roles: KITCHEN_CREW },
  { from: 'preparing', to: 'ready', roles: KITCHEN_CREW },
  { from: 'ready', to: 'served', roles: [...KITCHEN_CREW, 'waiter', 'cashier'] },
  { from: 'ready', to: 'bumped', roles: KITCHEN_CREW },
];

/**
 * Throws unless the move is a transition of the ticket machine (409 POS_ERR_INVALID_TRANSITION)
 * that this role may take (403 POS_ERR_FORBIDDEN).
 */
export function assertTicketTransition(
  from: KitchenTicketStatus,
  to: KitchenTicketStatus,
  role: Role | null,
): void {
  const transition = TICKET_TRANSITIONS.find((t) => t.from === from && t.to === to);
  if (!transition) throw new AppError('POS_ERR_INVALID_TRANSITION');
  if (role !== null && !transition.roles.includes(role)) throw new AppError('POS_ERR_FORBIDDEN');
}

/**
 * The order status its tickets call for: in the kitchen while any ticket is queued or being
 * prepared, ready when the rest are ready (or already served), served when every ticket is
 * served or bumped. Cancelled tickets do not count; `null` when no ticket counts.
 */
export function orderStatusFromTickets(
  statuses: readonly KitchenTicketStatus[],
): 'in_kitchen' | 'ready' | 'served' | null {
  const live = statuses.filter((status) => status !== 'cancelled');
  if (live.length === 0) return null;
  if (live.some((status) => status === 'queued' || status === 'preparing')) return 'in_kitchen';
  if (live.some((status) => status === 'ready')) return 'ready';
  return 'served';
}
