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
  users: UsersTable;
  password_history: PasswordHistoryTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
  auth_sessions: AuthSessionsTable;
  refresh_tokens: RefreshTokensTable;
  revocations: RevocationsTable;
  signing_keys: SigningKeysTable;
  approvals: ApprovalsTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  order_counters: OrderCountersTable;
}

export interface UsersTable {
  id: string;
  restaurant_id: string;
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  password_changed_at: string;
  must_change_password: number;
  status: 'active' | 'locked' | 'disabled';
  failed_login_count: number;
  locked_until: string | null;
  mfa_secret: string | null;
  mfa_enabled: number;
  /** The last TOTP time step accepted, so a code cannot be used twice. */
  mfa_last_step: number | null;
  customer_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface PasswordHistoryTable {
  id: string;
  user_id: string;
  password_hash: string;
  created_at: string;
}

export interface MfaRecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: string | null;
  created_at: string;
}

/** A sign-in: the family of refresh tokens that descend from one login. */
export interface AuthSessionsTable {
  id: string;
  restaurant_id: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  last_used_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  user_agent: string | null;
  ip_prefix: string | null;
}

export interface RefreshTokensTable {
  id: string;
  session_id: string;
  token_hash: string;
  created_at: string;
  /** Set when the token was exchanged; presenting it again is reuse. */
  rotated_at: string | null;
}

/**
 * Revocations every process applies: one access token (`token`, by jti), one session, every
 * token of a user issued before `not_before` (`user`), or of a whole restaurant.
 */
export interface RevocationsTable {
  id: string;
  kind: 'token' | 'session' | 'user' | 'restaurant';
  subject: string;
  not_before: string | null;
  expires_at: string;
  created_at: string;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: string;
  /** The private JWK, encrypted with the data key ring. */
  private_jwk: string;
  public_jwk: string;
  created_at: string;
  /** When the key stopped signing; it verifies until its last token expires. */
  retired_at: string | null;
}

export interface ApprovalsTable {
  id: string;
  restaurant_id: string;
  approver_id: string;
  requested_by: string;
  action: string;
  resource_id: string;
  max_amount_cents: number;
  token_hash: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

export type OrderType = 'dine_in' | 'takeaway' | 'delivery';
export type OrderStatus = 'open' | 'in_kitchen' | 'ready' | 'served' | 'paid' | 'cancelled';

/**
 * An order. `paid_cents` is the net of captured payments minus refunds and is maintained only by
 * the payments module, inside the same transaction as the payment or refund; it also moves the
 * order to `paid` when the total is covered.
 */
export interface OrdersTable {
  id: string;
  restaurant_id: string;
  number: number;
  /** The restaurant's local calendar day the number belongs to (YYYY-MM-DD). */
  business_date: string;
  type: OrderType;
  table_label: string | null;
  customer_id: string | null;
  status: OrderStatus;
  subtotal_cents: number;
  discount_cents: number;
  service_fee_cents: number;
  total_cents: number;
  paid_cents: number;
  notes: string | null;
  cancel_reason: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  deleted_at: string | null;
  deleted_by: string | null;
}

export interface OrderItemsTable {
  id: string;
  restaurant_id: string;
  order_id: string;
  product_id: string;
  /** Copied from the catalog when added, so a later rename or deletion leaves the order intact. */
  product_name: string;
  unit_price_cents: number;
  quantity: number;
  notes: string | null;
  status: 'pending' | 'sent' | 'voided';
  sent_at: string | null;
  voided_at: string | null;
  voided_by: string | null;
  void_reason: string | null;
  created_by: string;
  created_at: string;
}

export interface OrderCountersTable {
  restaurant_id: string;
  business_date: string;
  last_number: number;
}
