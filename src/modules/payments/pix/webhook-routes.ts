import type { FastifyRequest } from 'fastify';

import type { AppContext } from '../../../app/context.js';
import { AppError } from '../../../core/errors.js';
import type { App } from '../../../http/app.js';
import { sourceOf } from '../../../security/authz/principal.js';
import { PixWebhookBody, PixWebhookResult } from '../schemas.js';
import { applyPixWebhook, recordWebhookRejection } from './settle.js';
import { verifyPixWebhook } from './webhook-signature.js';

export const PIX_TIMESTAMP_HEADER = 'x-pix-timestamp';
export const PIX_SIGNATURE_HEADER = 'x-pix-signature';

/** A PIX notification is a few hundred bytes; anything much larger is not one. */
const WEBHOOK_BODY_LIMIT = 16 * 1024;

/**
 * `POST /api/v1/webhooks/pix`: public, authenticated by its HMAC signature over the timestamp and
 * the raw body (five-minute window). It lives in its own plugin scope so that only this route
 * keeps the raw body, which the signature covers byte for byte. Without
 * CHEFIA_PIX_WEBHOOK_SECRET every call is refused.
 */
export async function pixWebhookRoutes(app: App, context: AppContext): Promise<void> {
  await app.register(async (scope: App) => {
    const rawBodies = new WeakMap<FastifyRequest, string>();
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT },
      (request, body, done) => {
        rawBodies.set(request, body as string);
        // Fastify's own parser (prototype-poisoning checks); it answers through `done`.
        void parseJson(request, body as string, done);
      },
    );

    scope.post(
      '/api/v1/webhooks/pix',
      {
        config: { access: { public: true } },
        // Before schema validation: an unsigned request learns nothing about the body's shape.
        preValidation: async (request) => {
          const verdict = verifySignature(context, request, rawBodies.get(request));
          if (verdict === 'ok') return;
          await recordWebhookRejection(context, verdict, sourceOf(request));
          throw new AppError('POS_ERR_WEBHOOK_SIGNATURE');
        },
        schema: { body: PixWebhookBody, response: { 200: PixWebhookResult } },
      },
      async (request) => applyPixWebhook(context, request.body, sourceOf(request)),
    );
  });
}

function verifySignature(
  context: AppContext,
  request: FastifyRequest,
  rawBody: string | undefined,
): string {
  const secret = context.config.payments.pixWebhookSecret;
  if (!secret) return 'not_configured';
  if (rawBody === undefined) return 'malformed';

  return verifyPixWebhook({
    secret,
    timestampHeader: request.headers[PIX_TIMESTAMP_HEADER],
    signatureHeader: request.headers[PIX_SIGNATURE_HEADER],
    rawBody,
    now: context.clock.now(),
  });
}
