import type { ServerResponse } from 'node:http';

import type { KitchenEventBus } from './event-bus.js';
import { fromEventRow, type KdsEvent } from './events.js';
import type { KitchenRepository } from './repository.js';

/** Heartbeat period: proxies drop idle connections after 30–60 s, so 15 s keeps them open. */
export const HEARTBEAT_MS = 15_000;
/** Events replayed per query while catching up. */
const CATCH_UP_BATCH = 500;
/**
 * A display that stops reading is cut off once this much is queued for it, instead of the
 * server holding its backlog in memory; it reconnects with Last-Event-ID and misses nothing.
 */
const MAX_BUFFERED_BYTES = 1_048_576;

export interface KitchenStreamOptions {
  response: ServerResponse;
  kitchen: Pick<KitchenRepository, 'eventsAfter'>;
  bus: Pick<KitchenEventBus, 'subscribe'>;
  restaurantId: string;
  /** The last event the display has; replay starts after it. */
  lastSeq: number;
  heartbeatMs?: number;
  /** False once the credential that opened the stream has expired or been revoked. */
  stillAuthorized: () => boolean;
  onError: (error: unknown) => void;
}

/** One event in the text/event-stream format. JSON escapes line breaks, so data stays one line. */
export function formatEvent(event: KdsEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event.ticket)}\n\n`;
}

/**
 * A live kitchen display connection. Events go out strictly in sequence order with no gap and no
 * repeat: the log (`kds_events`) is read first from the display's Last-Event-ID, live events are
 * queued meanwhile, and any live event that arrives ahead of its predecessor (two processes
 * commit and publish in a different order) makes the stream fill the gap from the log first.
 * Each heartbeat also reads the log, so an event whose fan-out was lost arrives within one
 * heartbeat.
 */
export class KitchenStream {
  readonly #options: KitchenStreamOptions;
  #lastSent: number;
  /** Writes run one after the other, in the order they were queued. */
  #queue: Promise<void> = Promise.resolve();
  #heartbeat: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void) | null = null;
  #closed = false;

  constructor(options: KitchenStreamOptions) {
    this.#options = options;
    this.#lastSent = options.lastSeq;
  }

  /** Subscribes, replays what the display missed and starts the heartbeat. */
  async start(): Promise<void> {
    const { response, bus, restaurantId } = this.#options;
    response.on('close', () => this.close());
    // Subscribe before reading the log, so nothing published in between is missed.
    this.#unsubscribe = await bus.subscribe(restaurantId, (event) => {
      this.#enqueue(() => this.#deliver(event));
    });
    if (this.#closed) {
      this.#unsubscribe();
      return;
    }
    this.#enqueue(() => this.#catchUp());
    this.#heartbeat = setInterval(() => {
      this.#enqueue(() => this.#beat());
    }, this.#options.heartbeatMs ?? HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** Ends the stream (client gone, credential expired or server closing). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#unsubscribe?.();
    const { response } = this.#options;
    if (!response.writableEnded) response.end();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #enqueue(step: () => Promise<void>): void {
    this.#queue = this.#queue
      .then(() => (this.#closed ? undefined : step()))
      .catch((error: unknown) => {
        this.#options.onError(error);
        this.close();
      });
  }

  async #deliver(event: KdsEvent): Promise<void> {
    if (event.seq <= this.#lastSent) return;
    if (event.seq === this.#lastSent + 1) {
      this.#write(event);
      return;
    }
    await this.#catchUp();
  }

  async #catchUp(): Promise<void> {
    for (;;) {
      const rows = await this.#options.kitchen.eventsAfter(this.#lastSent, CATCH_UP_BATCH);
      for (const row of rows) {
        if (this.#closed) return;
        this.#write(fromEventRow(row));
      }
      if (rows.length < CATCH_UP_BATCH) return;
    }
  }

  async #beat(): Promise<void> {
    if (!this.#options.stillAuthorized()) {
      this.close();
      return;
    }
    await this.#catchUp();
    this.#send(': heartbeat\n\n');
  }

  #write(event: KdsEvent): void {
    this.#send(formatEvent(event));
    this.#lastSent = event.seq;
  }

  #send(text: string): void {
    const { response } = this.#options;
    if (this.#closed || response.destroyed) return;
    if (response.writableLength > MAX_BUFFERED_BYTES) {
      response.destroy();
      this.close();
      return;
    }
    response.write(text);
  }
}
