import { describe, expect, it } from 'vitest';

import {
  assertTicketTransition,
  orderStatusFromTickets,
  TICKET_TRANSITIONS,
} from './ticket-state.js';

describe('kitchen ticket machine', () => {
  it('moves queued → preparing → ready → served or bumped, nothing else', () => {
    expect(TICKET_TRANSITIONS.map((t) => `${t.from}->${t.to}`)).toEqual([
      'queued->preparing',
      'preparing->ready',
      'ready->served',
      'ready->bumped',
    ]);
    for (const [from, to] of [
      ['queued', 'ready'],
      ['ready', 'preparing'],
      ['served', 'ready'],
      ['cancelled', 'queued'],
      ['queued', 'cancelled'],
    ] as const) {
      expect(() => assertTicketTransition(from, to, 'kitchen')).toThrow(
        expect.objectContaining({ code: 'POS_ERR_INVALID_TRANSITION', statusCode: 409 }),
      );
    }
  });

  it('lets the floor serve a ready ticket but only the kitchen crew cook', () => {
    expect(() => assertTicketTransition('ready', 'served', 'waiter')).not.toThrow();
    expect(() => assertTicketTransition('queued', 'preparing', 'waiter')).toThrow(
      expect.objectContaining({ code: 'POS_ERR_FORBIDDEN' }),
    );
    expect(() => assertTicketTransition('ready', 'bumped', 'cashier')).toThrow(
      expect.objectContaining({ code: 'POS_ERR_FORBIDDEN' }),
    );
    expect(() => assertTicketTransition('queued', 'preparing', 'kitchen')).not.toThrow();
  });

  it('derives the order status from its tickets', () => {
    expect(orderStatusFromTickets([])).toBeNull();
    expect(orderStatusFromTickets(['cancelled'])).toBeNull();
    expect(orderStatusFromTickets(['ready', 'preparing'])).toBe('in_kitchen');
    expect(orderStatusFromTickets(['ready', 'served'])).toBe('ready');
    expect(orderStatusFromTickets(['ready', 'cancelled'])).toBe('ready');
    expect(orderStatusFromTickets(['served', 'bumped'])).toBe('served');
    expect(orderStatusFromTickets(['served', 'queued'])).toBe('in_kitchen');
  });
});
