import path from 'node:path';

import type { Command } from 'commander';

import { archiveAuditTrail } from '../../audit/archive.js';
import { SYSTEM_ACTOR } from '../../audit/events.js';
import { listChains, verifyChain, type ChainVerification } from '../../audit/verify.js';
import type { AppContext } from '../../app/context.js';
import { notFound, validationError } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { RestaurantsRepository } from '../../modules/restaurants/repository.js';
import { withContext, type GlobalFlags } from '../run.js';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('check and archive the audit trail');

  audit
    .command('verify')
    .description('check the audit hash chains; exits non-zero on any break')
    .option('--restaurant <slug>', 'check only this restaurant (default: every chain)')
    .action(async (flags: { restaurant?: string }) => {
      const results = await withContext(program.opts<GlobalFlags>(), (context) =>
        verifyChains(context, flags.restaurant),
      );
      for (const result of results) console.log(describeVerification(result));
      if (results.some((result) => !result.ok)) process.exitCode = 1;
    });

  audit
    .command('archive')
    .description('export audit entries older than DATE to FILE (JSON lines + manifest), then prune')
    .requiredOption(
      '--before <date>',
      'cutoff (YYYY-MM-DD or ISO time, UTC); at least 12 months ago',
    )
    .requiredOption(
      '--out <file>',
      'JSON-lines file to write; FILE.manifest.json is written beside',
    )
    .action(async (flags: { before: string; out: string }) => {
      const before = parseCutoff(flags.before);
      const out = path.resolve(flags.out);
      const result = await withContext(program.opts<GlobalFlags>(), (context) =>
        archiveAuditTrail(context, { before, out }),
      );
      if (!result) {
        console.log(`nothing older than ${before.toISOString()} to archive`);
        return;
      }
      const { manifest, manifestPath, manifestSha256 } = result;
      console.log(
        JSON.stringify({
          file: out,
          manifest: manifestPath,
          manifestSha256,
          entryCount: manifest.entryCount,
          chains: manifest.chains.length,
        }),
      );
    });
}

/**
 * Verifies one restaurant's chain or every chain, and records the check on the system chain; a
 * break is recorded as a security alert, so it also reaches the alert webhook.
 */
async function verifyChains(
  context: AppContext,
  restaurantSlug: string | undefined,
): Promise<ChainVerification[]> {
  const db = context.database.kysely;
  let chainIds: string[];
  if (restaurantSlug === undefined) {
    chainIds = await listChains(db);
  } else {
    const restaurant = await new RestaurantsRepository(db).findBySlug(restaurantSlug);
    if (!restaurant) throw notFound();
    chainIds = [restaurant.id];
  }

  const results: ChainVerification[] = [];
  for (const chainId of chainIds)
    results.push(await verifyChain(db, context.keys.auditChainKey, chainId));
  const broken = results.filter((result) => !result.ok).length;

  await inTransaction(context.database, (tx) =>
    context.audit.record(tx, {
      type: broken > 0 ? 'security_alert' : 'audit_access',
      action: 'audit.verify',
      outcome: broken > 0 ? 'failure' : 'success',
      restaurantId: null,
      actor: SYSTEM_ACTOR,
      resource: { type: 'audit_events', id: restaurantSlug === undefined ? null : chainIds[0] },
      details: { ok: broken === 0, chains: results.length, broken },
    }),
  );
  return results;
}

/** One line per chain, for operators and scripts alike. */
export function describeVerification(result: ChainVerification): string {
  if (!result.firstBreak) return `ok ${result.chainId} entries=${result.checked}`;
  const { seq, reason, entryId } = result.firstBreak;
  return `BROKEN ${result.chainId} seq=${seq} reason=${reason} entry=${entryId ?? '-'}`;
}

function parseCutoff(value: string): Date {
  // A calendar date first, so that loose formats Date accepts ("1", "June 5") are refused.
  const shaped = /^\d{4}-\d{2}-\d{2}/.test(value) && value.length <= 35;
  const date = new Date(value);
  if (!shaped || Number.isNaN(date.getTime())) {
    throw validationError([{ path: 'before', message: 'must be a date (YYYY-MM-DD) or ISO time' }]);
  }
  return date;
}
