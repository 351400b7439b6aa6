import http, { type IncomingHttpHeaders } from 'node:http';

/** One parsed server-sent event. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/** A kitchen display connected over real HTTP, as a non-browser client connects. */
export interface SseConnection {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every event received so far, in arrival order. */
  events: SseEvent[];
  /** Comment lines (heartbeats) received so far. */
  comments: string[];
  /** The body when the server answered with an error instead of a stream. */
  body(): string;
  /** Resolves when at least `count` events have arrived, or rejects after `timeoutMs`. */
  waitForEvents(count: number, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves when the server ends the stream. */
  ended(): Promise<void>;
  close(): void;
}

/** Opens `GET url` and parses the text/event-stream body as it arrives. */
export function connectSse(url: string, headers: Record<string, string>): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } });
    request.on('error', reject);
    request.on('response', (response) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      let buffer = '';
      let raw = '';
      const waiters: (() => void)[] = [];
      let finished = false;
      const endWaiters: (() => void)[] = [];

      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let boundary = buffer.indexOf('\n\n');
        while (boundary >= 0) {
          parseBlock(buffer.slice(0, boundary), events, comments);
          buffer = buffer.slice(boundary + 2);
          boundary = buffer.indexOf('\n\n');
        }
        for (const wake of waiters.splice(0)) wake();
      });
      const finish = () => {
        finished = true;
        for (const wake of [...waiters.splice(0), ...endWaiters.splice(0)]) wake();
      };
      response.on('end', finish);
      response.on('close', finish);
      response.on('error', finish);

      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        events,
        comments,
        body: () => raw,
        waitForEvents(count, timeoutMs = 5_000) {
          return new Promise((done, fail) => {
            const timer = setTimeout(() => {
              fail(new Error(`expected ${count} events, got ${events.length}`));
            }, timeoutMs);
            const check = () => {
              if (events.length >= count) {
                clearTimeout(timer);
                done(events.slice(0, count));
              } else if (finished) {
                clearTimeout(timer);
                fail(new Error(`stream ended after ${events.length} events`));
              } else {
                waiters.push(check);
              }
            };
            check();
          });
        },
        ended: () =>
          new Promise((done) => {
            if (finished) done();
            else endWaiters.push(done);
          }),
        close: () => {
          request.destroy();
          response.destroy();
        },
      });
    });
  });
}

function parseBlock(block: string, events: SseEvent[], comments: string[]): void {
  let id: string | null = null;
  let event = 'message';
  const data: string[] = [];
  let hasData = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon >= 0 ? line.slice(0, colon) : line;
    const value = colon >= 0 ? line.slice(colon + 1).replace(/^ /, '') : '';
    if (field === 'id') id = value;
    if (field === 'event') event = value;
    if (field === 'data') {
      data.push(value);
      hasData = true;
    }
  }
  if (hasData) events.push({ id, event, data: data.join('\n') });
}
