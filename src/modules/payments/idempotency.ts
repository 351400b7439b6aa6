import { Type } from '@sinclair/typebox';

import type { AppContext } from '../../app/context.js';
import { AppError, validationError, type ErrorBody } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction, type Tx } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { errorBody } from '../../http/error-handler.js';
import { blindIndex, randomToken } from '../../security/crypto/index.js';

/*
 * `Idempotency-Key` for writes that move money. A key is claimed in its own committed transaction
 * before the operation runs; the operation's transaction stores the response on the key row, so
 * the money and the remembered answer commit together or not at all. A retry then gets:
 * - the stored response (same status and body) when the key is done with the same request;
 * - 422 POS_ERR_IDEMPOTENCY_MISMATCH when the key was used for a different request;
 * - 409 POS_ERR_IDEMPOTENCY_IN_PROGRESS while the first attempt is still running.
 * A claim left `in_progress` by a crashed process is taken over after STALE_CLAIM_SECONDS; the
 * claim token makes sure only the current claimant can complete the key, so a slow original and
 * its successor never both commit.
 */

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAY_HEADER = 'idempotent-replayed';
const KEY_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;

/** How long a claim may stay in progress before a retry may assume its process died. */
export const STALE_CLAIM_SECONDS = 60;

/** The header schema for routes that require a key: missing or malformed answers 400 naming it. */
export const IdempotencyHeaders = Type.Object({
  [IDEMPOTENCY_HEADER]: Type.String({ pattern: KEY_PATTERN.source }),
});

export interface IdempotentRequest {
  restaurantId: RestaurantId;
  key: unknown;
  method: string;
  /** The path as requested, without the query string. */
  path: string;
  body: unknown;
}

export interface StoredResponse<T> {
  statusCode: number;
  body: T | ErrorBody;
  replayed: boolean;
}

export interface IdempotencyOptions {
  /**
   * Runs in the transaction that stores a 4xx answer, for what must outlive the failed operation
   * (its audit entry): the operation's own transaction was rolled back.
   */
  onRejected?: (tx: Executor, error: AppError) => Promise<void>;
}

type Claim =
  { kind: 'claimed'; token: string } | { kind: 'replay'; statusCode: number; body: unknown };

/** Thrown inside the operation's transaction when another attempt took the key over. */
class LostClaim extends Error {}

/**
 * Runs `operation` at most once per restaurant and key. The operation gets a transaction and
 * returns the response to send; it must do all its writes in that transaction.
 */
export async function runIdempotent<T>(
  context: AppContext,
  request: IdempotentRequest,
  operation: (tx: Tx) => Promise<{ statusCode: number; body: T }>,
  options: IdempotencyOptions = {},
): Promise<StoredResponse<T>> {
  const key = checkKey(request.key);
  const requestHash = hashRequest(context, request);
  // Committed on its own before the operation starts, so a concurrent duplicate finds the claim.
  const claim = await inTransaction(context.database, (tx) =>
    claimKey(context, tx, request.restaurantId, key, requestHash),
  );
  if (claim.kind === 'replay') {
    return { statusCode: claim.statusCode, body: claim.body as T | ErrorBody, replayed: true };
  }

  const row = { restaurantId: request.restaurantId, key, token: claim.token };
  try {
    return await inTransaction(context.database, async (tx) => {
      const response = await operation(tx);
      await complete(context, tx, row, response.statusCode, response.body);
      return { ...response, replayed: false };
    });
  } catch (error) {
    if (error instanceof LostClaim) throw new AppError('POS_ERR_IDEMPOTENCY_IN_PROGRESS');
    if (error instanceof AppError && error.statusCode >= 400 && error.statusCode < 500) {
      await rememberRejection(context, row, error, options);
      throw error;
    }

    // An unexpected failure leaves nothing behind, so the client may simply retry. If even the
    // release fails, the claim goes stale and is taken over after STALE_CLAIM_SECONDS.
    await release(context, row).catch(() => undefined);
    throw error;
  }
}

function checkKey(raw: unknown): string {
  if (typeof raw === 'string' && KEY_PATTERN.test(raw)) return raw;
  throw validationError([
    { path: `headers/${IDEMPOTENCY_HEADER}`, message: 'must be 8-128 of A-Z a-z 0-9 _ -' },
  ]);
}

/**
 * A keyed hash, not a bare SHA-256: a body may hold a keyed-in card number, and an unkeyed hash
 * of a short, structured secret can be brute-forced.
 */
function hashRequest(context: AppContext, request: IdempotentRequest): string {
  const canonical = `${request.method.toUpperCase()}\n${request.path}\n${canonicalJson(request.body)}`;
  return blindIndex(context.keys.blindIndexKey, 'idempotency.request', canonical);
}

/** JSON with object keys sorted, so the same body always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;

  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, inner]) => inner !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, inner]) => `${JSON.stringify(name)}:${canonicalJson(inner)}`);
  return `{${entries.join(',')}}`;
}

async function claimKey(
  context: AppContext,
  db: Tx,
  restaurantId: RestaurantId,
  key: string,
  requestHash: string,
): Promise<Claim> {
  // A row can vanish between the insert and the read (a failed attempt releasing it), so the
  // claim is retried a few times before giving up as "in progress".
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = context.clock.now().toISOString();
    const token = randomToken(16);
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({
        restaurant_id: restaurantId,
        idempotency_key: key,
        request_hash: requestHash,
        status: 'in_progress',
        claim_token: token,
        response_status: null,
        response_body: null,
        created_at: now,
        locked_at: now,
        completed_at: null,
      })
      .onConflict((oc) => oc.columns(['restaurant_id', 'idempotency_key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows) === 1) return { kind: 'claimed', token };

    const existing = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('restaurant_id', '=', restaurantId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    if (!existing) continue;

    if (existing.request_hash !== requestHash) throw new AppError('POS_ERR_IDEMPOTENCY_MISMATCH');

    if (existing.status === 'completed') {
      return {
        kind: 'replay',
        statusCode: existing.response_status ?? 500,
        body: JSON.parse(existing.response_body ?? 'null') as unknown,
      };
    }

    const staleBefore = new Date(context.clock.now().getTime() - STALE_CLAIM_SECONDS * 1000);
    if (existing.locked_at > staleBefore.toISOString()) {
      throw new AppError('POS_ERR_IDEMPOTENCY_IN_PROGRESS');
    }

    const takenOver = await db
      .updateTable('idempotency_keys')
      .set({ claim_token: token, locked_at: now })
      .where('restaurant_id', '=', restaurantId)
      .where('idempotency_key', '=', key)
      .where('status', '=', 'in_progress')
      .where('claim_token', '=', existing.claim_token)
      .executeTakeFirst();
    if (Number(takenOver.numUpdatedRows) === 1) return { kind: 'claimed', token };
  }
  throw new AppError('POS_ERR_IDEMPOTENCY_IN_PROGRESS');
}

interface ClaimedRow {
  restaurantId: RestaurantId;
  key: string;
  token: string;
}

async function complete(
  context: AppContext,
  tx: Executor,
  row: ClaimedRow,
  statusCode: number,
  body: unknown,
): Promise<void> {
  const stored = await tx
    .updateTable('idempotency_keys')
    .set({
      status: 'completed',
      response_status: statusCode,
      response_body: JSON.stringify(body),
      completed_at: context.clock.now().toISOString(),
    })
    .where('restaurant_id', '=', row.restaurantId)
    .where('idempotency_key', '=', row.key)
    .where('claim_token', '=', row.token)
    .where('status', '=', 'in_progress')
    .executeTakeFirst();
  if (Number(stored.numUpdatedRows) !== 1) throw new LostClaim();
}

/** A 4xx is an answer too: the same request would fail the same way, so it is replayed. */
async function rememberRejection(
  context: AppContext,
  row: ClaimedRow,
  error: AppError,
  options: IdempotencyOptions,
): Promise<void> {
  await inTransaction(context.database, async (tx) => {
    try {
      await complete(
        context,
        tx,
        row,
        error.statusCode,
        errorBody(error.code, error.message, error.fields),
      );
    } catch (lost) {
      if (lost instanceof LostClaim) return;
      throw lost;
    }
    await options.onRejected?.(tx, error);
  });
}

async function release(context: AppContext, row: ClaimedRow): Promise<void> {
  await context.database.kysely
    .deleteFrom('idempotency_keys')
    .where('restaurant_id', '=', row.restaurantId)
    .where('idempotency_key', '=', row.key)
    .where('claim_token', '=', row.token)
    .where('status', '=', 'in_progress')
    .execute();
}
