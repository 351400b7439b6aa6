import type { Clock } from '../../core/clock.js';
import type { Executor } from '../../infra/db/database.js';
import { KeyRing, generateDataKey, unwrapDataKey, wrapDataKey } from '../crypto/index.js';

/**
 * Loads the data-encryption key ring from the database, where each data key is stored wrapped
 * by the master key. A fresh database gets its first key here.
 */
export async function loadDataKeyRing(
  db: Executor,
  masterKey: Buffer,
  clock: Clock,
): Promise<KeyRing> {
  let rows = await db
    .selectFrom('data_keys')
    .selectAll()
    .where('status', '!=', 'retired')
    .orderBy('created_at', 'asc')
    .execute();

  if (rows.length === 0) {
    await addDataKey(db, masterKey, clock);
    rows = await db.selectFrom('data_keys').selectAll().where('status', '!=', 'retired').execute();
  }

  const keys = rows.map((row) => unwrapDataKey(masterKey, row.id, row.wrapped_key));
  const active = rows.filter((row) => row.status === 'active').at(-1) ?? rows.at(-1);
  return new KeyRing({ keys, activeKeyId: active?.id ?? '' });
}

/**
 * Adds a new active data key; the previous active key stays available for decryption. Key ids
 * are `k1`, `k2`, …, so an id also tells an operator the key's age.
 */
export async function addDataKey(db: Executor, masterKey: Buffer, clock: Clock): Promise<string> {
  const existing = await db.selectFrom('data_keys').select('id').execute();
  const next = existing.reduce((max, row) => Math.max(max, Number(row.id.slice(1)) || 0), 0) + 1;
  const dataKey = generateDataKey(`k${next}`);

  await db
    .updateTable('data_keys')
    .set({ status: 'decrypt_only' })
    .where('status', '=', 'active')
    .execute();
  await db
    .insertInto('data_keys')
    .values({
      id: dataKey.id,
      wrapped_key: wrapDataKey(masterKey, dataKey),
      status: 'active',
      created_at: clock.now().toISOString(),
      retired_at: null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return dataKey.id;
}
