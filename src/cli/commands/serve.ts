import type { Command } from 'commander';

import { issueSetupSecret } from '../../modules/auth/setup.js';
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
      const secret = await issueSetupSecret(server.context);
      if (secret) printSetupSecret(secret, server.origin, config.auth.setupSecretTtlMinutes);

      const stop = () => {
        server.context.logger.info('shutting down');
        server.context.logger.flush();
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}

/**
 * The setup secret goes to the operator's terminal only, never through the logger: it is a
 * credential, and log lines travel to places a terminal does not.
 */
function printSetupSecret(secret: string, origin: string, ttlMinutes: number): void {
  process.stderr.write(
    [
      '',
      'No user exists yet. Create the first admin within ' + String(ttlMinutes) + ' minutes with:',
      `  POST ${origin}/api/v1/setup  (secret: ${secret})`,
      'or from the shell: chefia restaurant create … && chefia user create … --password-stdin',
      'The secret works once and is not shown again.',
      '',
    ].join('\n'),
  );
}
