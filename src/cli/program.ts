import { Command } from 'commander';

import { registerAuditCommands } from './commands/audit.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerRestaurantCommands } from './commands/restaurant.js';
import { registerServeCommand } from './commands/serve.js';
import { registerUserCommands } from './commands/user.js';

/** The `chefia` command line (SPEC section 8). */
export function buildProgram(): Command {
  const program = new Command('chefia')
    .description('Chefia POS: restaurant point-of-sale server and operator tools')
    .option('--data-dir <dir>', 'data directory of the embedded database (CHEFIA_DATA_DIR)')
    .showHelpAfterError()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  registerServeCommand(program);
  registerMigrateCommand(program);
  registerRestaurantCommands(program);
  registerUserCommands(program);
  registerKeyCommands(program);
  registerAuditCommands(program);
  return program;
}
