import type { Command } from 'commander';

import { startServer } from '../../server.js';
import { configFrom, type GlobalFlags } from '../run.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the server (migrates the database first)')
    .option('--host <host>', 'listen address (CHEFIA_HOST)')
    .option('--port <port>', 'listen port (CHEFIA_PORT)')
    .action(async (flags: { host?: string; port?: string }) => {
      const config = configFrom({ ...program.opts<GlobalFlags>(), ...flags });
      const server = await startServer(config);

      const stop = () => {
        server.context.logger.info('shutting down');
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
