import { describe, expect, it } from 'vitest';

import type { OrderStatus } from '../../infra/db/schema.js';
import { ROLE_PERMISSIONS, ROLES } from '../../security/authz/permissions.js';
import {
  assertFloorActor,
  assertOpenForChanges,
  assertTransition,
  canTransition,
  ORDER_STATUSES,
  ORDER_TRANSITIONS,
} from './order-state.js';

const pairs = ORDER_TRANSITIONS.map((t) => `${t.from}->${t.to}`);

describe('order state machine', () => {
  it('has exactly the documented transitions', () => {
    expect(new Set(pairs)).toEqual(
      new Set([
        'open->in_kitchen',
        'ready->in_kitchen',
        'served->in_kitchen',
        'in_kitchen->ready',
        'ready->served',
        'open->paid',
        'in_kitchen->paid',
        'ready->paid',
        'served->paid',
        'paid->served',
        'open->cancelled',
        'in_kitchen->cancelled',
        'ready->cancelled',
        'served->cancelled',
      ]),
    );
    expect(pairs).toHaveLength(new Set(pairs).size);
  });

  it('never leaves cancelled, and leaves paid only for served through a refund', () => {
    for (const to of ORDER_STATUSES) {
      expect(canTransition('cancelled', to, 'admin')).toBe(false);
      expect(() => assertTransition('cancelled', to, 'admin')).toThrow(
        expect.objectContaining({ code: 'POS_ERR_INVALID_TRANSITION' }),
      );
      if (to === 'served') continue;
      expect(() => assertTransition('paid', to, 'admin')).toThrow(
        expect.objectContaining({ code: 'POS_ERR_INVALID_TRANSITION' }),
      );
    }
    expect(canTransition('paid', 'served', 'manager')).toBe(true);
    expect(canTransition('paid', 'served', 'cashier')).toBe(false);
  });

  it('answers a transition the machine lacks with 409 POS_ERR_INVALID_TRANSITION', () => {
    const illegal: [OrderStatus, OrderStatus][] = [
      ['open', 'ready'],
      ['open', 'served'],
      ['in_kitchen', 'open'],
      ['served', 'ready'],
      ['open', 'open'],
    ];
    for (const [from, to] of illegal) {
      expect(() => assertTransition(from, to, 'admin')).toThrow(
        expect.objectContaining({ code: 'POS_ERR_INVALID_TRANSITION', statusCode: 409 }),
      );
    }
  });

  it('lets only order.cancel holders cancel', () => {
    for (const role of ROLES) {
      const allowed = ROLE_PERMISSIONS[role].includes('order.cancel');
      expect(canTransition('open', 'cancelled', role)).toBe(allowed);
    }
    expect(() => assertTransition('open', 'cancelled', 'waiter')).toThrow(
      expect.objectContaining({ code: 'POS_ERR_FORBIDDEN' }),
    );
  });

  it('lets only payment.process holders mark an order paid', () => {
    for (const role of ROLES) {
      expect(canTransition('served', 'paid', role)).toBe(
        ROLE_PERMISSIONS[role].includes('payment.process'),
      );
    }
  });

  it('refuses the kitchen the send transition although it holds order.update', () => {
    expect(ROLE_PERMISSIONS.kitchen).toContain('order.update');
    expect(canTransition('open', 'in_kitchen', 'kitchen')).toBe(false);
    expect(canTransition('open', 'in_kitchen', 'waiter')).toBe(true);
    expect(canTransition('in_kitchen', 'ready', 'kitchen')).toBe(true);
  });

  it('judges a principal by its permissions when it has no role (API keys)', () => {
    const apiKey = { role: null, permissions: new Set(['order.update' as const]) };
    expect(canTransition('open', 'in_kitchen', apiKey)).toBe(true);
    expect(canTransition('open', 'cancelled', apiKey)).toBe(false);
  });

  it('guards cancellation and payment on the order amounts', () => {
    for (const transition of ORDER_TRANSITIONS) {
      if (transition.to === 'cancelled') expect(transition.guard).toBe('paid_cents_zero');
      if (transition.to === 'paid') expect(transition.guard).toBe('total_covered');
      if (transition.trigger === 'refund') expect(transition.guard).toBe('total_uncovered');
    }
  });

  it('closes paid and cancelled orders to changes and the floor to the kitchen', () => {
    expect(() => assertOpenForChanges('paid')).toThrow(
      expect.objectContaining({ code: 'POS_ERR_ORDER_CLOSED', statusCode: 409 }),
    );
    expect(() => assertOpenForChanges('cancelled')).toThrow(
      expect.objectContaining({ code: 'POS_ERR_ORDER_CLOSED' }),
    );
    expect(() => assertOpenForChanges('served')).not.toThrow();
    expect(() => assertFloorActor('kitchen')).toThrow(
      expect.objectContaining({ code: 'POS_ERR_FORBIDDEN' }),
    );
    expect(() => assertFloorActor('waiter')).not.toThrow();
    expect(() => assertFloorActor(null)).not.toThrow();
  });
});
