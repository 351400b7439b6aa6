import type { AppContext } from '../../app/context.js';
import { notFound, validationError } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { normalizeAddress } from '../../security/intrusion/address-policy.js';
import {
  BlockedIpsRepository,
  type BlockedIpRow,
} from '../../security/intrusion/blocked-ips-repository.js';
import type { ProtectionServices } from '../../security/protection/install.js';
import type { BlockedIpView } from './schemas.js';

export interface BlockInput {
  address: string;
  durationMinutes?: number;
  note?: string;
}

export function toBlockedIpView(row: BlockedIpRow): BlockedIpView {
  return {
    id: row.id,
    address: row.address,
    reason:
      row.reason === 'threat_detected' || row.reason === 'brute_force' ? row.reason : 'manual',
    note: row.note,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** Active blocks the principal's restaurant may see: its own and unauthenticated sources'. */
export async function listBlockedIps(
  context: AppContext,
  restaurantId: RestaurantId,
  options: { limit: number; cursor?: string },
): Promise<{ items: BlockedIpView[]; nextCursor: string | null }> {
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const rows = await new BlockedIpsRepository(context.database.kysely).listActive({
    now: context.clock.now().toISOString(),
    visibleTo: restaurantId,
    limit: options.limit + 1,
    ...(after ? { after } : {}),
  });

  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > options.limit && last ? encodeCursor(last) : null;
  return { items: page.map(toBlockedIpView), nextCursor };
}

/**
 * Blocks an address for every restaurant of the deployment (requests from it are refused
 * before anything else). Loopback, trusted proxies and the admin's own address are refused:
 * blocking them would shut out everyone behind them, or the admin.
 */
export async function blockIp(
  context: AppContext,
  protection: ProtectionServices,
  principal: Principal,
  input: BlockInput,
  source: RequestSource,
): Promise<BlockedIpView> {
  const address = normalizeAddress(input.address);
  if (!address) {
    throw validationError([{ path: 'body/address', message: 'must be an IP address' }]);
  }
  if (!protection.addressPolicy.isBlockable(address)) {
    throw validationError([
      { path: 'body/address', message: 'loopback and trusted proxies cannot be blocked' },
    ]);
  }
  if (address === normalizeAddress(source.ip)) {
    throw validationError([{ path: 'body/address', message: 'is your own address' }]);
  }

  const minutes = input.durationMinutes ?? context.config.protection.blockMinutes;
  const note = input.note?.trim() || null;
  const row = await inTransaction(context.database, async (tx) => {
    const block = await protection.blockList.block(tx, {
      address,
      reason: 'manual',
      minutes,
      note,
      restaurantId: principal.restaurantId,
      createdBy: principal.id,
    });
    await context.audit.record(tx, {
      type: 'configuration_change',
      action: 'ip.block',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'blocked_ip', id: block.id },
      details: { reason: 'manual', minutes },
    });
    return block;
  });

  protection.blockList.publish([row]);
  return toBlockedIpView(row);
}

/**
 * Lifts a block, and every other block of the same address the restaurant may see. Blocks of
 * another restaurant answer 404 and stay in force; so does a block already lifted or expired.
 */
export async function unblockIp(
  context: AppContext,
  protection: ProtectionServices,
  principal: Principal,
  blockId: string,
  source: RequestSource,
): Promise<void> {
  const lifted = await inTransaction(context.database, async (tx) => {
    const block = await new BlockedIpsRepository(tx).findVisible(blockId, principal.restaurantId);
    const now = context.clock.now().toISOString();
    if (!block || block.removed_at !== null || block.expires_at <= now) throw notFound();

    const rows = await protection.blockList.unblock(
      tx,
      block.address,
      principal.id,
      principal.restaurantId,
    );
    await context.audit.record(tx, {
      type: 'configuration_change',
      action: 'ip.unblock',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'blocked_ip', id: block.id },
      details: { reason: block.reason, lifted: rows.length },
    });
    return rows;
  });

  protection.blockList.publish(lifted);
}

function encodeCursor(row: BlockedIpRow): string {
  return Buffer.from(JSON.stringify([row.expires_at, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { expiresAt: string; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string'
    ) {
      return { expiresAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // Reported below.
  }
  throw validationError([{ path: 'querystring/cursor', message: 'is not a valid cursor' }]);
}
