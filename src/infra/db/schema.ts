/**
 * The database schema as Kysely sees it: one interface per table, columns in snake_case.
 * Times are ISO-8601 UTC strings, money is integer cents, flags are 0/1 integers and JSON is
 * stored as text, so that SQLite and PostgreSQL hold exactly the same values.
 */

export interface RestaurantsTable {
  id: string;
  slug: string;
  name: string;
  timezone: string;
  currency: string;
  service_fee_basis_points: number;
  pix_key: string | null;
  settings: string;
  created_at: string;
  updated_at: string;
}

export interface AuditEventsTable {
  id: string;
  /** The hash chain this entry belongs to: the restaurant id, or `system`. */
  chain_id: string;
  seq: number;
  restaurant_id: string | null;
  occurred_at: string;
  event_type: string;
  action: string;
  outcome: string;
  actor_type: string;
  actor_id: string | null;
  actor_role: string | null;
  ip_prefix: string | null;
  ip_hash: string | null;
  request_id: string | null;
  resource_type: string | null;
  resource_id: string | null;
  risk_score: number;
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditChainHeadsTable {
  chain_id: string;
  last_seq: number;
  last_hash: string;
}

export interface AuditArchivesTable {
  id: string;
  chain_id: string;
  through_seq: number;
  anchor_hash: string;
  before: string;
  entry_count: number;
  manifest_sha256: string;
  created_at: string;
}

export interface DataKeysTable {
  id: string;
  wrapped_key: string;
  status: 'active' | 'decrypt_only' | 'retired';
  created_at: string;
  retired_at: string | null;
}

export interface SystemStateTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface DatabaseSchema {
  restaurants: RestaurantsTable;
  audit_events: AuditEventsTable;
  audit_chain_heads: AuditChainHeadsTable;
  audit_archives: AuditArchivesTable;
  data_keys: DataKeysTable;
  system_state: SystemStateTable;
}
