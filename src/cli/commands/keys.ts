import type { Command } from 'commander';

import { registerDataKeyCommands } from './data-keys.js';
import { registerSigningKeyCommands } from './signing-keys.js';

/** `chefia keys …`: token-signing and data-encryption key management. */
export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('rotate signing and data-encryption keys');

  registerSigningKeyCommands(keys, program);
  registerDataKeyCommands(keys, program);
}
