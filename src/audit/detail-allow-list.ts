import { scrubString } from '../infra/logging/scrub.js';

/**
 * The detail keys each audit action may store. Anything not listed is dropped before the entry is
 * written, and an action without an entry keeps no details at all: a secret, a token or a card
 * number can only reach the audit trail if someone lists its key here, in review.
 *
 * Adding a feature's keys is one line: `'order.create': ['totalCents', 'itemCount'],`. A test
 * walks every `audit.record(` call in `src/` and fails for an action missing from this list, and
 * another refuses keys that look like secrets or personal data.
 */
export const DETAIL_ALLOW_LIST: Readonly<Record<string, readonly string[]>> = {
  // Identity: sign-in, sessions and second factor.
  'auth.login': ['reason', 'mfa', 'mfaFactor', 'enrolmentPending', 'rehashed'],
  'auth.lockout': ['failures', 'lockedMinutes'],
  'auth.logout': [],
  'auth.session_revoke': [],
  'auth.refresh_reuse': [],
  'auth.password_change': ['reason'],
  'auth.mfa.enable': [],
  'auth.mfa.reset': ['wasEnrolled', 'sessionsRevoked'],
  'auth.approval': ['reason', 'approverId'],
  'auth.approval_grant': ['approvalId', 'requestedBy', 'maxAmountCents'],
  'auth.token_rejected': ['reason'],
  'authz.deny': ['permission'],

  // Users and restaurants.
  'user.create': ['role'],
  'user.update': [],
  'user.role_change': ['fromRole', 'toRole'],
  'user.disable': ['sessionsRevoked'],
  'user.unlock': ['previousStatus'],
  'user.reset_password': [],
  'restaurant.create': ['slug'],

  // The audit trail itself.
  'audit.list': ['filters', 'resultCount'],
  'audit.verify': ['ok', 'checked', 'breakSeq', 'breakReason', 'chains', 'broken'],
  'audit.archive': ['throughSeq', 'entryCount', 'manifestSha256', 'before'],
  'alerts.list': ['resultCount'],
  'system.start': [],
  'system.stop': [],

  // Orders and the kitchen display.
  'order.create': ['number', 'orderType', 'itemCount', 'totalCents'],
  'order.add_items': ['itemCount', 'totalCents'],
  'order.update': ['tableChanged', 'notesChanged'],
  'order.discount': ['fromCents', 'toCents', 'subtotalCents', 'limitCents', 'approvedBy'],
  'order.void_item': [
    'itemId',
    'productId',
    'quantity',
    'lineTotalCents',
    'sentToKitchen',
    'approvedBy',
  ],
  'order.send': ['ticketId', 'itemCount'],
  'order.cancel': ['fromStatus', 'totalCents', 'ticketsWithdrawn'],
  'order.delete': ['number', 'status', 'totalCents'],
  'kds.ticket_move': ['orderId', 'from', 'to', 'orderStatus'],

  // Cash drawer, payments, refunds and card data.
  'cashier.session_open': ['terminalId', 'openingFloatCents'],
  'cashier.withdrawal': ['movementId', 'amountCents', 'aboveLimit', 'approvedBy'],
  'cashier.deposit': ['movementId', 'amountCents'],
  'cashier.session_close': ['expectedCents', 'countedCents', 'differenceCents'],
  'payment.capture': [
    'orderId',
    'method',
    'amountCents',
    'changeCents',
    'cardEntry',
    'orderStatus',
  ],
  'payment.pix_charge': ['orderId', 'method', 'amountCents', 'orderStatus'],
  'payment.pix_confirm': ['orderId', 'amountCents', 'via', 'orderStatus'],
  'payment.pix_cancel': ['orderId', 'amountCents'],
  'payment.pix_unapplied': ['orderId', 'amountCents', 'paymentStatus'],
  'payment.refund': [
    'refundId',
    'orderId',
    'amountCents',
    'refundedCents',
    'approvedBy',
    'orderStatus',
    'reason',
  ],
  'payment.read': ['cardEntry'],
  'payment.list': ['resultCount', 'cardCount'],
  'card_data.rejected': ['location'],
  'webhook.pix_rejected': ['reason'],

  // Catalog, customers and data keys (field names and counts only, never values).
  'category.create': [],
  'product.create': ['priceCents'],
  'product.update': ['fields', 'oldPriceCents', 'newPriceCents', 'costChanged'],
  'product.delete': [],
  'product.image_update': ['contentType', 'width', 'height'],
  'customer.create': ['fields'],
  'customer.update': ['fields'],
  'customer.reveal': [],
  'customer.lookup': ['by', 'matches'],
  'customer.link_login': ['userId'],
  'data_key.rotate': ['replaces', 'rotationId'],
  'data_key.retire': ['rotationId'],
  'data_key.reencrypt': ['rotationId', 'rowsReencrypted', 'retiredCount'],

  // API keys, probes and blocked addresses (kinds, counts and labels, never keys or addresses).
  'apikey.create': ['scopes', 'rateClass', 'expiresAt'],
  'apikey.revoke': [],
  'apikey.authenticate': ['reason'],
  'apikey.use': ['statusCode'],
  'intrusion.detected': ['kind', 'location', 'detections', 'blocked'],
  'ip.block': ['reason', 'minutes', 'detections', 'failures', 'accounts'],
  'ip.unblock': ['reason', 'lifted'],
};

/** Longest string value kept; details are labels and counts, not free text. */
const MAX_VALUE_LENGTH = 200;

type DetailValue = string | number | boolean | null;

/**
 * The details `action` may keep: listed keys with primitive values, strings cut to a bounded
 * length. Strings are also masked where they look like a card number, a CPF or a token, in case
 * a listed label ever carries one.
 */
export function allowedDetails(
  action: string,
  details: Readonly<Record<string, unknown>>,
): Record<string, DetailValue> {
  const allowed = Object.hasOwn(DETAIL_ALLOW_LIST, action) ? DETAIL_ALLOW_LIST[action] : undefined;
  if (!allowed) return {};

  const kept: Record<string, DetailValue> = {};
  for (const key of allowed) {
    if (!Object.hasOwn(details, key)) continue;
    const value = details[key];
    if (typeof value === 'string') kept[key] = scrubString(value).slice(0, MAX_VALUE_LENGTH);
    else if (typeof value === 'number' && Number.isFinite(value)) kept[key] = value;
    else if (typeof value === 'boolean' || value === null) kept[key] = value;
  }
  return kept;
}
