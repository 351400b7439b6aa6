import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

import { TEST_REDIS_URL, redisAvailable } from '../../../test/helpers/database.js';
import { createLogger } from '../../infra/logging/logger.js';
import { KitchenEventBus } from './event-bus.js';
import type { KdsEvent } from './events.js';

const event = (restaurantId: string, seq: number): KdsEvent => ({
  restaurantId,
  seq,
  type: 'ticket.created',
  ticket: {
    id: 't',
    orderId: 'o',
    orderNumber: 1,
    orderType: 'takeaway',
    tableLabel: null,
    status: 'queued',
    items: [],
    createdAt: '2026-01-15T12:00:00.000Z',
    updatedAt: '2026-01-15T12:00:00.000Z',
  },
  occurredAt: '2026-01-15T12:00:00.000Z',
});

const logger = createLogger('silent');
const until = async (check: () => boolean, timeoutMs = 3_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
};

describe('kitchen event bus, in process', () => {
  it("delivers to the restaurant's subscribers only, until they unsubscribe", async () => {
    const bus = new KitchenEventBus({ redis: null, logger });
    const ours: number[] = [];
    const theirs: number[] = [];
    const stop = await bus.subscribe('r1', (e) => ours.push(e.seq));
    await bus.subscribe('r2', (e) => theirs.push(e.seq));

    bus.publish('r1', event('r1', 1));
    stop();
    bus.publish('r1', event('r1', 2));

    expect(ours).toEqual([1]);
    expect(theirs).toEqual([]);
    await bus.close();
  });
});

describe.runIf(redisAvailable())('kitchen event bus, across processes', () => {
  const connections: Redis[] = [];
  const connect = () => {
    const redis = new Redis(TEST_REDIS_URL ?? '');
    connections.push(redis);
    return redis;
  };
  afterAll(() => {
    for (const redis of connections) redis.disconnect();
  });

  it('carries an event to the other process once, and its own echo is not delivered twice', async () => {
    const restaurant = `r-${Date.now()}`;
    const a = new KitchenEventBus({ redis: connect(), logger });
    const b = new KitchenEventBus({ redis: connect(), logger });
    const onA: number[] = [];
    const onB: number[] = [];
    await a.subscribe(restaurant, (e) => onA.push(e.seq));
    await b.subscribe(restaurant, (e) => onB.push(e.seq));

    a.publish(restaurant, event(restaurant, 1));
    await until(() => onB.length > 0);
    await new Promise((r) => setTimeout(r, 100));

    expect(onB).toEqual([1]);
    expect(onA).toEqual([1]);
    await a.close();
    await b.close();
  });

  it('drops a message whose event names another restaurant than its channel', async () => {
    const restaurant = `r-${Date.now()}-x`;
    const bus = new KitchenEventBus({ redis: connect(), logger });
    const received: KdsEvent[] = [];
    await bus.subscribe(restaurant, (e) => received.push(e));

    const forged = { origin: 'elsewhere', event: event('another-restaurant', 1) };
    await connect().publish(`chefia:kds:${restaurant}`, JSON.stringify(forged));
    await connect().publish(`chefia:kds:${restaurant}`, 'not json');
    const genuine = { origin: 'elsewhere', event: event(restaurant, 2) };
    await connect().publish(`chefia:kds:${restaurant}`, JSON.stringify(genuine));
    await until(() => received.length > 0);

    expect(received.map((e) => [e.restaurantId, e.seq])).toEqual([[restaurant, 2]]);
    await bus.close();
  });
});
