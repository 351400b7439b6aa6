import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';

import { afterEach, describe, expect, it, vi } from 'vitest';

import type { KdsEvent, TicketView } from './events.js';
import type { KdsListener } from './event-bus.js';
import type { KdsEventRow } from './repository.js';
import { formatEvent, KitchenStream } from './stream.js';

const TICKET: TicketView = {
  id: 'ticket-1',
  orderId: 'order-1',
  orderNumber: 7,
  orderType: 'dine_in',
  tableLabel: 'Mesa 2',
  status: 'queued',
  items: [],
  createdAt: '2026-01-15T12:00:00.000Z',
  updatedAt: '2026-01-15T12:00:00.000Z',
};

const event = (seq: number): KdsEvent => ({
  restaurantId: 'r1',
  seq,
  type: 'ticket.updated',
  ticket: TICKET,
  occurredAt: TICKET.createdAt,
});

const row = (seq: number): KdsEventRow => ({
  restaurant_id: 'r1',
  seq,
  type: 'ticket.updated',
  ticket_id: TICKET.id,
  order_id: TICKET.orderId,
  payload: JSON.stringify(TICKET),
  created_at: TICKET.createdAt,
});

/** A response that records what is written, standing in for the socket. */
class RecordingResponse extends Writable {
  readonly chunks: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString('utf8'));
    callback();
  }
  ids(): number[] {
    return [...this.chunks.join('').matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  }
}

/** The log and the bus a stream reads: `log` holds committed events, `emit` publishes one. */
function harness(log: KdsEventRow[]) {
  let listener: KdsListener = () => undefined;
  const response = new RecordingResponse();
  const eventsAfter = vi.fn(async (seq: number, limit: number) =>
    log.filter((r) => r.seq > seq).slice(0, limit),
  );
  let authorized = true;
  const stream = new KitchenStream({
    response: response as unknown as ServerResponse,
    kitchen: { eventsAfter },
    bus: {
      subscribe: async (_restaurantId, callback) => {
        listener = callback;
        return () => undefined;
      },
    },
    restaurantId: 'r1',
    lastSeq: 0,
    heartbeatMs: 1_000,
    stillAuthorized: () => authorized,
    onError: () => undefined,
  });
  return {
    stream,
    response,
    eventsAfter,
    emit: (e: KdsEvent) => listener(e),
    revoke: () => {
      authorized = false;
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('kitchen stream', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('formats an event as id, event and one data line, whatever the note holds', () => {
    const hostile = {
      ...TICKET,
      items: [{ id: 'i', productName: 'x', quantity: 1, notes: 'a\n\ndata: b\r\n', voided: false }],
    };
    const text = formatEvent({ ...event(9), ticket: hostile });

    expect(text.endsWith('\n\n')).toBe(true);
    const lines = text.slice(0, -2).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('id: 9');
    expect(lines[1]).toBe('event: ticket.updated');
    expect(JSON.parse(lines[2]?.slice('data: '.length) ?? '')).toEqual(hostile);
  });

  it('replays the log first, then goes live without repeating an event', async () => {
    const log = [row(1), row(2)];
    const h = harness(log);
    await h.stream.start();
    await settle();

    h.emit(event(2));
    log.push(row(3));
    h.emit(event(3));
    await settle();

    expect(h.response.ids()).toEqual([1, 2, 3]);
    h.stream.close();
  });

  it('fills a gap from the log when a live event overtakes its predecessor', async () => {
    const log: KdsEventRow[] = [];
    const h = harness(log);
    await h.stream.start();
    await settle();

    // Events 1 and 2 were committed by two processes; 2's fan-out arrives first.
    log.push(row(1), row(2));
    h.emit(event(2));
    await settle();
    h.emit(event(1));
    await settle();

    expect(h.response.ids()).toEqual([1, 2]);
    h.stream.close();
  });

  it('sends a heartbeat that also catches up on events whose fan-out was lost', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const log: KdsEventRow[] = [];
    const h = harness(log);
    await h.stream.start();
    await settle();

    log.push(row(1));
    vi.advanceTimersByTime(1_000);
    await settle();
    await settle();

    expect(h.response.ids()).toEqual([1]);
    expect(h.response.chunks.at(-1)).toBe(': heartbeat\n\n');
    h.stream.close();
  });

  it('ends the stream at the first heartbeat after its credential expires or is revoked', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const h = harness([]);
    await h.stream.start();
    await settle();

    h.revoke();
    vi.advanceTimersByTime(1_000);
    await settle();

    expect(h.stream.closed).toBe(true);
    expect(h.response.writableEnded).toBe(true);
  });

  it('cuts off a display that stops reading instead of buffering without bound', async () => {
    const h = harness([]);
    await h.stream.start();
    await settle();
    Object.defineProperty(h.response, 'writableLength', { value: 2_000_000 });

    h.emit(event(1));
    await settle();

    expect(h.stream.closed).toBe(true);
    expect(h.response.destroyed).toBe(true);
  });
});
