import { setTimeout as delay } from 'node:timers/promises';

import type { AppContext } from '../../app/context.js';
import { SYSTEM_ACTOR } from '../../audit/events.js';
import { AppError } from '../../core/errors.js';
import { inTransaction, type Tx } from '../../infra/db/transaction.js';
import type { DataKeyRotationsTable } from '../../infra/db/schema.js';
import { decryptField, encryptField, keyIdOf, type KeyRing } from '../crypto/index.js';
import { addDataKey } from './data-key-ring.js';
import { ENCRYPTED_COLUMNS, type EncryptedColumn } from './encrypted-columns.js';
import {
  countValuesNotUnderKey,
  countValuesUnderKey,
  readBatch,
  replaceIfUnchanged,
} from './encrypted-values.js';
import { reloadKeyRing } from './key-ring-refresh.js';

const RUNNING = 'running';
const DEFAULT_BATCH_SIZE = 200;
/** Passes over the columns before giving up on values a stale process keeps writing. */
const DEFAULT_MAX_SWEEPS = 3;

export interface BatchDone {
  table: string;
  column: string;
  rowsRead: number;
  rowsReencrypted: number;
}

export interface RotationOptions {
  /** Rows re-encrypted per transaction. */
  batchSize?: number;
  /**
   * How long after the new key was added to wait before re-encrypting, so every running server
   * has reloaded its ring and writes with the new key. Defaults to twice the reload interval.
   */
  propagationMs?: number;
  sleep?: (ms: number) => Promise<void>;
  maxSweeps?: number;
  /** Called after each committed batch: progress output, and tests that interrupt a run. */
  afterBatch?: (batch: BatchDone) => void | Promise<void>;
  /** Called once before waiting for the key to propagate. */
  onWait?: (ms: number, keyId: string) => void;
}

export interface RotationReport {
  rotationId: string;
  keyId: string;
  /** True when this run continued an interrupted one instead of adding a key. */
  resumed: boolean;
  rowsReencrypted: number;
  /** Values still under an older key; non-zero only when the run could not finish. */
  remaining: number;
  retiredKeyIds: string[];
  status: 'completed' | 'running';
}

type Rotation = DataKeyRotationsTable;

/**
 * `chefia keys rotate-data-key`: adds a data key (or resumes an unfinished rotation), waits until
 * running servers encrypt with it, re-encrypts every registered column in small committed
 * batches, and retires each older key once no stored value uses it.
 *
 * Online: each batch is a short transaction, and each row is replaced only if it still holds the
 * value read (compare-and-set), so a concurrent write from a server is never overwritten with a
 * stale value. Resumable: each batch records the last id it handled in the same transaction as
 * its updates. Lookups are unaffected: blind indexes use their own key, which does not rotate.
 */
export async function rotateDataKey(
  context: AppContext,
  options: RotationOptions = {},
): Promise<RotationReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const propagationMs = options.propagationMs ?? context.config.dataKeys.reloadSeconds * 2000;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));

  const { rotation, resumed } = await startOrResume(context).catch((error: unknown) => {
    if (!isUniqueViolation(error)) throw error;
    throw new AppError('POS_ERR_CONFLICT', {
      message: 'Another rotation started at the same moment; run the command again to resume it.',
    });
  });
  const ring = await reloadKeyRing(context);
  if (ring.activeKeyId !== rotation.target_key_id) {
    throw new AppError('POS_ERR_CONFLICT', {
      message: 'The active data key is not the rotation target; the rotation was stopped.',
    });
  }

  const waitMs = Date.parse(rotation.started_at) + propagationMs - context.clock.now().getTime();
  if (waitMs > 0) {
    options.onWait?.(waitMs, rotation.target_key_id);
    await sleep(waitMs);
  }

  let remaining = 0;
  for (let sweep = 0; sweep < (options.maxSweeps ?? DEFAULT_MAX_SWEEPS); sweep += 1) {
    for (const column of ENCRYPTED_COLUMNS) {
      await reencryptColumn(context, ring, rotation, column, batchSize, options.afterBatch);
    }
    remaining = await countValuesNotUnderKey(context.database.kysely, rotation.target_key_id);
    if (remaining === 0) break;
    // A process that had not reloaded wrote behind the cursor: walk the columns again.
    await restartProgress(context, rotation.id);
  }

  const rowsReencrypted = await rotationTotal(context, rotation.id);
  if (remaining > 0) {
    return { ...summary(rotation, resumed, rowsReencrypted, remaining), retiredKeyIds: [] };
  }

  const retiredKeyIds = await retireUnusedKeys(context, rotation, rowsReencrypted);
  await reloadKeyRing(context);
  return {
    ...summary(rotation, resumed, rowsReencrypted, 0),
    retiredKeyIds,
    status: 'completed',
  };
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

function summary(rotation: Rotation, resumed: boolean, rows: number, remaining: number) {
  return {
    rotationId: rotation.id,
    keyId: rotation.target_key_id,
    resumed,
    rowsReencrypted: rows,
    remaining,
    status: 'running' as const,
  };
}

/**
 * The unfinished rotation, or a new key and a new rotation. The unique `running_marker` lets only
 * one rotation run: a second one started at the same moment fails on it and rolls back its key.
 */
async function startOrResume(
  context: AppContext,
): Promise<{ rotation: Rotation; resumed: boolean }> {
  return inTransaction(context.database, async (tx) => {
    const running = await tx
      .selectFrom('data_key_rotations')
      .selectAll()
      .where('running_marker', '=', RUNNING)
      .executeTakeFirst();
    if (running) return { rotation: running, resumed: true };

    const previous = await tx
      .selectFrom('data_keys')
      .select('id')
      .where('status', '=', 'active')
      .executeTakeFirst();
    const keyId = await addDataKey(tx, context.keys.masterKey, context.clock);
    const now = context.clock.now().toISOString();
    const rotation: Rotation = {
      id: context.ids(),
      target_key_id: keyId,
      status: 'running',
      running_marker: RUNNING,
      rows_reencrypted: 0,
      started_at: now,
      updated_at: now,
      completed_at: null,
    };
    await tx.insertInto('data_key_rotations').values(rotation).execute();
    await context.audit.record(tx, {
      type: 'configuration_change',
      action: 'data_key.rotate',
      outcome: 'success',
      restaurantId: null,
      actor: SYSTEM_ACTOR,
      resource: { type: 'data_key', id: keyId },
      details: { replaces: previous?.id ?? null, rotationId: rotation.id },
    });
    return { rotation, resumed: false };
  });
}

async function progressOf(tx: Tx, rotationId: string, column: EncryptedColumn) {
  return tx
    .selectFrom('data_key_rotation_progress')
    .selectAll()
    .where('rotation_id', '=', rotationId)
    .where('table_name', '=', column.table)
    .where('column_name', '=', column.column)
    .executeTakeFirst();
}

/** Walks one column in id order from where the last committed batch stopped. */
async function reencryptColumn(
  context: AppContext,
  ring: KeyRing,
  rotation: Rotation,
  column: EncryptedColumn,
  batchSize: number,
  afterBatch: RotationOptions['afterBatch'],
): Promise<void> {
  for (;;) {
    const batch = await inTransaction(context.database, (tx) =>
      reencryptBatch(context, tx, ring, rotation, column, batchSize),
    );
    if (batch === null) return;

    await afterBatch?.(batch);
    if (batch.rowsRead < batchSize) return;
  }
}

async function reencryptBatch(
  context: AppContext,
  tx: Tx,
  ring: KeyRing,
  rotation: Rotation,
  column: EncryptedColumn,
  batchSize: number,
): Promise<BatchDone | null> {
  const now = context.clock.now().toISOString();
  let progress = await progressOf(tx, rotation.id, column);
  if (progress?.completed) return null;
  if (!progress) {
    progress = {
      rotation_id: rotation.id,
      table_name: column.table,
      column_name: column.column,
      last_id: null,
      completed: 0,
      rows_reencrypted: 0,
      updated_at: now,
    };
    await tx.insertInto('data_key_rotation_progress').values(progress).execute();
  }

  const rows = await readBatch(tx, column, progress.last_id, batchSize);
  let changed = 0;
  for (const row of rows) {
    if (keyIdOf(row.value) === rotation.target_key_id) continue;
    const plaintext = decryptField(ring, row.value, column.context);
    const fresh = encryptField(ring, plaintext, column.context);
    changed += await replaceIfUnchanged(tx, column, row, fresh);
  }

  await tx
    .updateTable('data_key_rotation_progress')
    .set({
      last_id: rows.at(-1)?.id ?? progress.last_id,
      completed: rows.length < batchSize ? 1 : 0,
      rows_reencrypted: progress.rows_reencrypted + changed,
      updated_at: now,
    })
    .where('rotation_id', '=', rotation.id)
    .where('table_name', '=', column.table)
    .where('column_name', '=', column.column)
    .execute();
  await tx
    .updateTable('data_key_rotations')
    .set((eb) => ({ rows_reencrypted: eb('rows_reencrypted', '+', changed), updated_at: now }))
    .where('id', '=', rotation.id)
    .execute();

  return {
    table: column.table,
    column: column.column,
    rowsRead: rows.length,
    rowsReencrypted: changed,
  };
}

async function restartProgress(context: AppContext, rotationId: string): Promise<void> {
  await context.database.kysely
    .updateTable('data_key_rotation_progress')
    .set({ last_id: null, completed: 0, updated_at: context.clock.now().toISOString() })
    .where('rotation_id', '=', rotationId)
    .execute();
}

async function rotationTotal(context: AppContext, rotationId: string): Promise<number> {
  const row = await context.database.kysely
    .selectFrom('data_key_rotations')
    .select('rows_reencrypted')
    .where('id', '=', rotationId)
    .executeTakeFirstOrThrow();
  return Number(row.rows_reencrypted);
}

/**
 * Retires every older key that no stored value uses any more and closes the rotation. A key still
 * in use stays (decrypt-only); the count is by the `v1.<keyId>.` prefix, so no value is decrypted
 * to decide. Retired keys stay in the table, wrapped, but are no longer loaded.
 */
async function retireUnusedKeys(
  context: AppContext,
  rotation: Rotation,
  rowsReencrypted: number,
): Promise<string[]> {
  return inTransaction(context.database, async (tx) => {
    const now = context.clock.now().toISOString();
    const older = await tx
      .selectFrom('data_keys')
      .select('id')
      .where('status', '=', 'decrypt_only')
      .where('id', '!=', rotation.target_key_id)
      .execute();

    const retired: string[] = [];
    for (const key of older) {
      if ((await countValuesUnderKey(tx, key.id)) > 0) continue;
      await tx
        .updateTable('data_keys')
        .set({ status: 'retired', retired_at: now })
        .where('id', '=', key.id)
        .where('status', '=', 'decrypt_only')
        .execute();
      await context.audit.record(tx, {
        type: 'configuration_change',
        action: 'data_key.retire',
        outcome: 'success',
        restaurantId: null,
        actor: SYSTEM_ACTOR,
        resource: { type: 'data_key', id: key.id },
        details: { rotationId: rotation.id },
      });
      retired.push(key.id);
    }

    await tx
      .updateTable('data_key_rotations')
      .set({ status: 'completed', running_marker: null, completed_at: now, updated_at: now })
      .where('id', '=', rotation.id)
      .execute();
    await context.audit.record(tx, {
      type: 'configuration_change',
      action: 'data_key.reencrypt',
      outcome: 'success',
      restaurantId: null,
      actor: SYSTEM_ACTOR,
      resource: { type: 'data_key', id: rotation.target_key_id },
      details: { rotationId: rotation.id, rowsReencrypted, retiredCount: retired.length },
    });
    return retired;
  });
}
