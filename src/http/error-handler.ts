import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';

import {
  AppError,
  ERROR_CATALOG,
  type ErrorBody,
  type ErrorCode,
  type FieldError,
} from '../core/errors.js';

/** Fastify's own error codes that are the client's fault, mapped to ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'POS_ERR_MALFORMED_BODY',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'POS_ERR_MALFORMED_BODY',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'POS_ERR_MALFORMED_BODY',
  FST_ERR_CTP_BODY_TOO_LARGE: 'POS_ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'POS_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'POS_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_REQ_FILE_TOO_LARGE: 'POS_ERR_PAYLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'POS_ERR_PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'POS_ERR_PAYLOAD_TOO_LARGE',
  FST_FIELDS_LIMIT: 'POS_ERR_PAYLOAD_TOO_LARGE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'POS_ERR_UNSUPPORTED_MEDIA_TYPE',
};

export function errorBody(code: ErrorCode, message?: string, fields?: FieldError[]): ErrorBody {
  const status = ERROR_CATALOG[code].status;
  return {
    statusCode: status,
    code,
    error: STATUS_CODES[status] ?? 'Error',
    message: message ?? ERROR_CATALOG[code].message,
    ...(fields && fields.length > 0 ? { fields } : {}),
  };
}

/** Sends an error in the one shape every client can rely on. */
export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.headers) void reply.headers(error.headers);
  return reply.code(error.statusCode).send(errorBody(error.code, error.message, error.fields));
}

/**
 * Maps every thrown error to the error shape. Expected client errors are logged at info; 5xx at
 * error, and their message to the client is generic with the request id so support can find the
 * log line.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toAppError(error);
    if (mapped.statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(mapped.statusCode).send({
        ...errorBody(mapped.code),
        message: `${ERROR_CATALOG[mapped.code].message} Request id: ${request.id}.`,
        requestId: request.id,
      });
    }
    request.log.info({ code: mapped.code, statusCode: mapped.statusCode }, 'request rejected');
    return sendError(reply, mapped);
  });
}

function toAppError(error: FastifyError): AppError {
  if (error instanceof AppError) return error;

  if (error.validation) {
    const fields = error.validation.map((issue) => ({
      path: fieldPath(error.validationContext, issue.instancePath, issue.params),
      message: issue.message ?? 'is not valid',
    }));
    return new AppError('POS_ERR_VALIDATION', { fields });
  }

  const code = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (code) return new AppError(code);

  if (error.statusCode === 429) {
    return new AppError('POS_ERR_RATE_LIMITED');
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError(error.statusCode === 404 ? 'POS_ERR_NOT_FOUND' : 'POS_ERR_VALIDATION');
  }
  return new AppError('POS_ERR_INTERNAL', { cause: error });
}

/**
 * A JSON-pointer-like path to the offending field: `body/items/0/quantity`. For a missing or an
 * unknown property Ajv reports the parent, so the property's own name is appended.
 */
function fieldPath(
  context: string | undefined,
  instancePath: string,
  params: Record<string, unknown>,
): string {
  const extra =
    typeof params.missingProperty === 'string'
      ? `/${params.missingProperty}`
      : typeof params.additionalProperty === 'string'
        ? `/${params.additionalProperty}`
        : '';
  return `${context ?? 'body'}${instancePath}${extra}`;
}
