/**
 * The audit vocabulary. Event types are the seed's (`login_success` … `security_alert`) plus
 * those PCI DSS 10.2 asks for; `action` names the precise operation (`order.create`).
 */
export const AUDIT_EVENT_TYPES = [
  'login_success',
  'login_failure',
  'logout',
  'password_change',
  'permission_denied',
  'data_access',
  'data_modification',
  'payment_processed',
  'configuration_change',
  'security_alert',
  'account_lockout',
  'token_reuse',
  'card_data_access',
  'audit_access',
  'object_created',
  'object_deleted',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export type AuditOutcome = 'success' | 'failure' | 'denied';

export type ActorType = 'user' | 'api_key' | 'system' | 'anonymous';

export interface AuditActor {
  type: ActorType;
  id?: string | null;
  role?: string | null;
}

/** Details are flat and primitive so they can be allow-listed and hashed canonically. */
export type AuditDetails = Record<string, string | number | boolean | null>;

export interface AuditEventInput {
  type: AuditEventType;
  action: string;
  outcome: AuditOutcome;
  /** The tenant the event belongs to; `null` for deployment-wide events. */
  restaurantId: string | null;
  actor: AuditActor;
  /** Where the request came from: the full client address (stored anonymized) and request id. */
  source?: { ip?: string | null; requestId?: string | null };
  resource?: { type: string; id?: string | null };
  details?: AuditDetails;
  /** Signals that raise the risk score, per the seed's scoring. */
  risk?: { repeatedFailures?: number; suspiciousPattern?: boolean; floor?: number };
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system' };

/** Entries scored above this raise a security alert (the seed's `risk_score > 7`). */
export const ALERT_RISK_THRESHOLD = 7;

const BASE_RISK: Partial<Record<AuditEventType, number>> = {
  login_failure: 3,
  permission_denied: 4,
  configuration_change: 7,
  security_alert: 9,
  account_lockout: 6,
  token_reuse: 9,
  card_data_access: 5,
};

/**
 * The seed's risk score: a base per event type, +3 after more than five repeated failures, +2
 * for a suspicious pattern, capped at 10. `floor` lets a feature insist on a minimum (a refund is
 * always high risk whatever its type's base).
 */
export function riskScore(event: Pick<AuditEventInput, 'type' | 'risk'>): number {
  let score = BASE_RISK[event.type] ?? 1;
  if ((event.risk?.repeatedFailures ?? 0) > 5) score += 3;
  if (event.risk?.suspiciousPattern) score += 2;
  score = Math.max(score, event.risk?.floor ?? 0);
  return Math.min(score, 10);
}
