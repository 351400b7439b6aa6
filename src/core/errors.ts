/**
 * Every error the API can answer with, by stable code. The HTTP status and the default message
 * live here and nowhere else; `docs/errors.md` lists the same codes and a test keeps the two in
 * sync. Messages are fixed strings: they never carry user input, identifiers or secrets.
 */
export const ERROR_CATALOG = {
  POS_ERR_VALIDATION: { status: 400, message: 'The request is not valid.' },
  POS_ERR_MALFORMED_BODY: { status: 400, message: 'The request body could not be parsed.' },
  POS_ERR_UNAUTHENTICATED: { status: 401, message: 'Authentication failed.' },
  POS_ERR_MFA_REQUIRED: { status: 401, message: 'A valid second-factor code is required.' },
  POS_ERR_MFA_ENROLMENT_REQUIRED: {
    status: 403,
    message: 'Enrol a second factor before using the API.',
  },
  POS_ERR_PASSWORD_CHANGE_REQUIRED: {
    status: 403,
    message: 'Change your password before using the API.',
  },
  POS_ERR_SETUP_UNAVAILABLE: { status: 403, message: 'Setup is not available.' },
  POS_ERR_APPROVAL_INVALID: {
    status: 403,
    message: 'The manager approval is missing, used, expired or does not match.',
  },
  POS_ERR_LAST_ADMIN: {
    status: 409,
    message: 'The last active admin of a restaurant cannot be removed.',
  },
  POS_ERR_FORBIDDEN: { status: 403, message: 'You do not have permission for this action.' },
  POS_ERR_NOT_FOUND: { status: 404, message: 'The resource was not found.' },
  POS_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'The method is not allowed here.' },
  POS_ERR_CONFLICT: { status: 409, message: 'The request conflicts with the current state.' },
  POS_ERR_ORDER_CLOSED: { status: 409, message: 'The order is paid or cancelled.' },
  POS_ERR_ORDER_HAS_PAYMENTS: {
    status: 409,
    message: 'An order with captured payments must be refunded first.',
  },
  POS_ERR_INVALID_TRANSITION: {
    status: 409,
    message: 'The status change is not allowed from the current status.',
  },
  POS_ERR_PRODUCT_UNAVAILABLE: {
    status: 409,
    message: 'A product is unavailable or does not exist.',
  },
  POS_ERR_CASHIER_SESSION_REQUIRED: {
    status: 409,
    message: 'An open cash drawer session of the operator is required.',
  },
  POS_ERR_AMOUNT_EXCEEDS_BALANCE: {
    status: 409,
    message: 'The amount exceeds what remains to be paid, refunded or withdrawn.',
  },
  POS_ERR_IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    message: 'A request with this idempotency key is still being processed.',
  },
  POS_ERR_IDEMPOTENCY_MISMATCH: {
    status: 422,
    message: 'This idempotency key was already used with a different request.',
  },
  POS_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  POS_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The content type is not supported.' },
  POS_ERR_UNPROCESSABLE: { status: 422, message: 'The request cannot be processed.' },
  POS_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests; retry later.' },
  POS_ERR_PASSWORD_POLICY: { status: 400, message: 'The password does not meet the policy.' },
  POS_ERR_SENSITIVE_CARD_DATA: {
    status: 400,
    message: 'Card security data (CVV, track data or PIN) must never be sent.',
  },
  POS_ERR_INVALID_CARD_NUMBER: { status: 400, message: 'The card number is not valid.' },
  POS_ERR_THREAT_DETECTED: { status: 400, message: 'The request was rejected.' },
  POS_ERR_WEBHOOK_SIGNATURE: { status: 401, message: 'The webhook signature is not valid.' },
  POS_ERR_IP_BLOCKED: { status: 403, message: 'Requests from this source are blocked.' },
  POS_ERR_IMAGE_TOO_LARGE: { status: 413, message: 'The image is too large.' },
  POS_ERR_IMAGE_TYPE_NOT_ALLOWED: {
    status: 415,
    message: 'Only JPEG, PNG and WebP images are accepted.',
  },
  POS_ERR_IMAGE_INVALID: { status: 422, message: 'The file is not a valid image.' },
  POS_ERR_INTERNAL: { status: 500, message: 'An internal error occurred.' },
  POS_ERR_SERVICE_UNAVAILABLE: { status: 503, message: 'The service is not available.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** One field that failed validation, named by its JSON path (`/items/0/quantity`). */
export interface FieldError {
  path: string;
  message: string;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
  requestId?: string;
  fields?: FieldError[];
}

interface AppErrorOptions {
  message?: string;
  fields?: FieldError[];
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * An expected failure with a stable code. Throw it from services and routes; the HTTP layer
 * maps it to the error shape. `message` must be a fixed string, never built from input.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly fields: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.message ?? ERROR_CATALOG[code].message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = ERROR_CATALOG[code].status;
    this.fields = options.fields;
    this.headers = options.headers;
  }
}

export const notFound = (): AppError => new AppError('POS_ERR_NOT_FOUND');
export const forbidden = (): AppError => new AppError('POS_ERR_FORBIDDEN');
export const conflict = (message?: string): AppError =>
  new AppError('POS_ERR_CONFLICT', message === undefined ? {} : { message });

/** A validation failure naming each offending field. */
export function validationError(fields: FieldError[], message?: string): AppError {
  return new AppError('POS_ERR_VALIDATION', { fields, ...(message ? { message } : {}) });
}
