import type { Command } from 'commander';

import { SYSTEM_ACTOR } from '../../audit/events.js';
import { createRestaurant } from '../../modules/restaurants/service.js';
import { withContext, type GlobalFlags } from '../run.js';

export function registerRestaurantCommands(program: Command): void {
  const restaurant = program.command('restaurant').description('manage restaurants (tenants)');

  restaurant
    .command('create')
    .description('add a restaurant')
    .requiredOption('--slug <slug>', 'short unique name used at login and in the menu URL')
    .requiredOption('--name <name>', 'display name')
    .option('--timezone <zone>', 'IANA time zone', 'America/Sao_Paulo')
    .action(async (flags: { slug: string; name: string; timezone: string }) => {
      const created = await withContext(program.opts<GlobalFlags>(), (context) =>
        createRestaurant(context, flags, SYSTEM_ACTOR),
      );
      console.log(JSON.stringify({ id: created.id, slug: created.slug, name: created.name }));
    });
}
