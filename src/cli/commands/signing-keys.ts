import type { Command } from 'commander';

import { inTransaction } from '../../infra/db/transaction.js';
import { rotateSigningKey } from '../../security/tokens/signing-keys.js';
import { withContext, type GlobalFlags } from '../run.js';

/**
 * `chefia keys rotate`: a new token-signing key. Running servers pick it up within a minute;
 * tokens signed by the retired key keep verifying until they expire, so nobody is signed out.
 * Prints the new key id as JSON.
 */
export function registerSigningKeyCommands(keys: Command, program: Command): void {
  keys
    .command('rotate')
    .description('new token-signing key; old keys keep verifying until their tokens expire')
    .action(async () => {
      const kid = await withContext(program.opts<GlobalFlags>(), (context) =>
        inTransaction(context.database, (tx) =>
          rotateSigningKey(tx, context.keyRing, context.clock),
        ),
      );
      console.log(JSON.stringify({ kid }));
    });
}
