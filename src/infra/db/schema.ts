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

/** An alert raised by an audit entry scored above the alert threshold (SPEC 5.7). */
export interface SecurityAlertsTable {
  id: string;
  /** `null` for alerts raised on the deployment-wide (system) chain. */
  restaurant_id: string | null;
  audit_event_id: string;
  chain_id: string;
  seq: number;
  event_type: string;
  action: string;
  outcome: string;
  risk_score: number;
  occurred_at: string;
  created_at: string;
}

/**
 * A webhook delivery still owed for an alert, written in the alert's transaction so that none is
 * lost across a restart. `next_attempt_at` doubles as a lease while a dispatcher is sending.
 */
export interface AlertOutboxTable {
  id: string;
  alert_id: string;
  /** The exact JSON body sent on every attempt. */
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string;
  /** A fixed reason (`timeout`, `http_status`, `address_refused`...), never response text. */
  last_error: string | null;
  last_status: number | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
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
  security_alerts: SecurityAlertsTable;
  alert_outbox: AlertOutboxTable;
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
  cashier_sessions: CashierSessionsTable;
  cashier_movements: CashierMovementsTable;
  payments: PaymentsTable;
  refunds: RefundsTable;
  idempotency_keys: IdempotencyKeysTable;
  pix_webhook_events: PixWebhookEventsTable;
  kitchen_tickets: KitchenTicketsTable;
  kds_event_counters: KdsEventCountersTable;
  kds_events: KdsEventsTable;
  categories: CategoriesTable;
  products: ProductsTable;
  customers: CustomersTable;
  data_key_rotations: DataKeyRotationsTable;
  data_key_rotation_progress: DataKeyRotationProgressTable;
  api_keys: ApiKeysTable;
  blocked_ips: BlockedIpsTable;
}

/** The name of a table of the business database. */
export type TableName = Extract<keyof DatabaseSchema, string>;

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
  /** The kitchen ticket the item went out on; null until the order is sent. */
  ticket_id: string | null;
  /** The item's place in its order (1, 2, …), so items list in the order they were taken. */
  position: number;
}

export interface OrderCountersTable {
  restaurant_id: string;
  business_date: string;
  last_number: number;
}

export type KitchenTicketStatus =
  'queued' | 'preparing' | 'ready' | 'served' | 'bumped' | 'cancelled';

/** One round of items sent to the kitchen; its items are the order items with its `ticket_id`. */
export interface KitchenTicketsTable {
  id: string;
  restaurant_id: string;
  order_id: string;
  /** Copied from the order so the display needs no join to show it. */
  order_number: number;
  order_type: OrderType;
  table_label: string | null;
  status: KitchenTicketStatus;
  created_by: string;
  created_at: string;
  updated_by: string;
  updated_at: string;
}

/** The last kitchen event number handed out per restaurant. */
export interface KdsEventCountersTable {
  restaurant_id: string;
  last_seq: number;
}

/**
 * The kitchen display's event log: `seq` increases per restaurant and is the SSE event id, so a
 * display that reconnects with `Last-Event-ID` is sent every event after it.
 */
export interface KdsEventsTable {
  restaurant_id: string;
  seq: number;
  type: string;
  ticket_id: string;
  order_id: string;
  /** JSON of the ticket as the display shows it. */
  payload: string;
  created_at: string;
}

export interface CategoriesTable {
  id: string;
  restaurant_id: string;
  name: string;
  sort_order: number;
  created_at: string;
  updated_at: string;
}

/** A product. Deletion is soft (`deleted_at`) so order items keep pointing at a real row. */
export interface ProductsTable {
  id: string;
  restaurant_id: string;
  category_id: string | null;
  name: string;
  description: string | null;
  price_cents: number;
  /** Readable and writable only with `report.financial`. */
  cost_cents: number | null;
  available: number;
  /** NULL when stock is not tracked for the product. */
  stock_quantity: number | null;
  /** The random name the image store gave the product's image. */
  image_name: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  deleted_by: string | null;
}

/**
 * A customer. Everything but the name is encrypted with the data key ring (`*_encrypted`, one
 * context per column, see src/security/keys/encrypted-columns.ts); the searchable fields also
 * carry a keyed blind index (`*_index`) so lookups never decrypt the table.
 */
export interface CustomersTable {
  id: string;
  restaurant_id: string;
  name: string;
  cpf_encrypted: string | null;
  cpf_index: string | null;
  cnpj_encrypted: string | null;
  cnpj_index: string | null;
  email_encrypted: string | null;
  email_index: string | null;
  phone_encrypted: string | null;
  phone_index: string | null;
  /** JSON of the structured address, encrypted as one value. */
  address_encrypted: string | null;
  birth_date_encrypted: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** One run of `chefia keys rotate-data-key`; at most one is `running` at a time. */
export interface DataKeyRotationsTable {
  id: string;
  target_key_id: string;
  status: 'running' | 'completed';
  running_marker: string | null;
  rows_reencrypted: number;
  started_at: string;
  updated_at: string;
  completed_at: string | null;
}

/** Where a rotation stands in one encrypted column, so an interrupted run resumes there. */
export interface DataKeyRotationProgressTable {
  rotation_id: string;
  table_name: string;
  column_name: string;
  /** The id of the last row handled; rows are walked in id order. */
  last_id: string | null;
  completed: number;
  rows_reencrypted: number;
  updated_at: string;
}

/**
 * A cash drawer shift: one operator at one terminal. Cash sales, refunds and movements are summed
 * from their own tables when needed, so the session row never holds a running total that could
 * drift; `expected_cents`, `counted_cents` and `difference_cents` are fixed at close.
 */
export interface CashierSessionsTable {
  id: string;
  restaurant_id: string;
  operator_id: string;
  terminal_id: string;
  status: 'open' | 'closed';
  opening_float_cents: number;
  expected_cents: number | null;
  counted_cents: number | null;
  difference_cents: number | null;
  opened_at: string;
  closed_at: string | null;
  closed_by: string | null;
}

export interface CashierMovementsTable {
  id: string;
  restaurant_id: string;
  session_id: string;
  kind: 'withdrawal' | 'deposit';
  amount_cents: number;
  reason: string;
  performed_by: string;
  /** The manager whose approval allowed a withdrawal above the limit. */
  approved_by: string | null;
  created_at: string;
}

export type PaymentMethod = 'cash' | 'credit' | 'debit' | 'pix' | 'voucher';
export type PaymentStatus = 'captured' | 'pending' | 'cancelled';

/**
 * A payment of an order. Card data follows SPEC 5.6: never CVV, track data or PIN; a keyed PAN
 * only encrypted (`pan_encrypted`), as a keyed hash (`pan_hash`) and truncated to first 6 and
 * last 4 (`card_masked`).
 */
export interface PaymentsTable {
  id: string;
  restaurant_id: string;
  order_id: string;
  method: PaymentMethod;
  status: PaymentStatus;
  amount_cents: number;
  refunded_cents: number;
  tendered_cents: number | null;
  change_cents: number | null;
  cashier_session_id: string | null;
  card_entry: 'terminal' | 'manual' | null;
  card_brand: string | null;
  card_last4: string | null;
  card_masked: string | null;
  authorization_code: string | null;
  nsu: string | null;
  pan_encrypted: string | null;
  pan_hash: string | null;
  voucher_provider: string | null;
  pix_txid: string | null;
  pix_payload: string | null;
  created_by: string;
  created_at: string;
  captured_at: string | null;
  captured_by: string | null;
  cancelled_at: string | null;
  updated_at: string;
}

export interface RefundsTable {
  id: string;
  restaurant_id: string;
  payment_id: string;
  order_id: string;
  amount_cents: number;
  reason: string;
  /** The drawer the cash came out of, for refunds of cash payments. */
  cashier_session_id: string | null;
  created_by: string;
  approved_by: string | null;
  created_at: string;
}

/** One claimed `Idempotency-Key` of a restaurant and the response it produced. */
export interface IdempotencyKeysTable {
  restaurant_id: string;
  idempotency_key: string;
  /** Keyed hash of method, path and canonical body: the same key must mean the same request. */
  request_hash: string;
  status: 'in_progress' | 'completed';
  /** Random per claim, so only the claimant that still holds the key can complete it. */
  claim_token: string;
  response_status: number | null;
  response_body: string | null;
  created_at: string;
  locked_at: string;
  completed_at: string | null;
}

/** PIX webhook events already applied, so a provider's retry is answered without effect. */
export interface PixWebhookEventsTable {
  event_id: string;
  restaurant_id: string;
  payment_id: string;
  outcome: string;
  received_at: string;
}

/**
 * An API key of a restaurant (SPEC 5.4). Only the SHA-256 of the key is stored; `key_prefix`
 * (the first characters after `sk_`) lets an admin tell keys apart. `scopes` is a JSON array of
 * permissions; `last_used_at` is written in batches, not on every request.
 */
export interface ApiKeysTable {
  id: string;
  restaurant_id: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  scopes: string;
  rate_class: string;
  active: number;
  expires_at: string;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

/**
 * A blocked client address (an IPv4 address or an IPv6 /64), deployment-wide. `reason` is
 * `manual`, `threat_detected` or `brute_force`; `restaurant_id` is the restaurant whose admin or
 * whose traffic caused the block, `null` for unauthenticated sources. Rows are never deleted: an
 * unblock sets `removed_at`, and `updated_at` lets every process poll for changes.
 */
export interface BlockedIpsTable {
  id: string;
  address: string;
  reason: string;
  note: string | null;
  restaurant_id: string | null;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  removed_at: string | null;
  removed_by: string | null;
  updated_at: string;
}
