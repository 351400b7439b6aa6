import type { Command } from 'commander';

import { SYSTEM_ACTOR } from '../../audit/events.js';
import { ConfigError } from '../../config/load.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { RestaurantsRepository } from '../../modules/restaurants/repository.js';
import { createUser } from '../../modules/users/service.js';
import { isRole } from '../../security/authz/permissions.js';
import { withContext, type GlobalFlags } from '../run.js';

/** Reads the whole of standard input; a trailing newline (from `echo` or a pipe) is dropped. */
async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage users');

  user
    .command('create')
    .description('add a user; the password is read from standard input and must pass the policy')
    .requiredOption('--restaurant <slug>', 'restaurant slug')
    .requiredOption('--username <name>', 'login name')
    .requiredOption('--role <role>', 'admin, manager, cashier, waiter, kitchen or customer')
    .option('--display-name <name>', 'name shown in the terminals')
    .requiredOption('--password-stdin', 'read the password from standard input')
    .action(
      async (flags: {
        restaurant: string;
        username: string;
        role: string;
        displayName?: string;
      }) => {
        const role = flags.role;
        if (!isRole(role)) throw new ConfigError('--role must be one of the six roles.');
        const password = await readPasswordFromStdin();

        const created = await withContext(program.opts<GlobalFlags>(), (context) =>
          inTransaction(context.database, async (tx) => {
            const restaurant = await new RestaurantsRepository(tx).findBySlug(flags.restaurant);
            if (!restaurant) throw new ConfigError('No restaurant has that slug.');
            return createUser(
              context,
              tx,
              restaurant,
              {
                username: flags.username,
                displayName: flags.displayName ?? flags.username,
                role,
                password,
              },
              { actor: SYSTEM_ACTOR, temporaryPassword: false },
            );
          }),
        );
        console.log(
          JSON.stringify({ id: created.id, username: created.username, role: created.role }),
        );
      },
    );
}
