import { Writable } from 'node:stream';

import { createLogger, type Logger } from '../../src/infra/logging/logger.js';

/** A logger whose every line is kept in memory, for tests that assert what reached the log. */
export function captureLogs(): { logger: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createLogger('trace', stream);
  return { logger, lines, text: () => lines.join('\n') };
}
