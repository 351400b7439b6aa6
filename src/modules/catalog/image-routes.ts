import path from 'node:path';

import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf } from '../../security/authz/principal.js';
import { assertStaffReader } from './access.js';
import { productImageName, replaceProductImage, requireProduct } from './image-service.js';
import { ImageStore, servingHeadersFor } from './images/image-store.js';
import type { ImageLimits, ProductImageUpload } from './images/process-image.js';
import { ProductParams, ProductView } from './schemas.js';

/** Where product images live: inside the data directory, outside any static root. */
export function productImageStore(context: AppContext): ImageStore {
  return new ImageStore(path.join(context.config.dataDir, 'uploads'));
}

/**
 * Reads the one file part of an upload, then the rest of the body, so that a second part is
 * refused rather than ignored. The multipart limits of this scope cut the stream at the size
 * limit and refuse a second file or any text field before anything more is buffered; the size
 * error is answered with the image-specific code.
 */
async function readImagePart(
  request: FastifyRequest,
  limits: ImageLimits,
): Promise<ProductImageUpload> {
  let upload: ProductImageUpload | null = null;
  try {
    for await (const part of request.parts()) {
      // Unreachable while the limits hold (one part, no fields); kept so that loosening them
      // cannot silently start accepting extra parts.
      if (part.type !== 'file' || upload !== null) throw new AppError('POS_ERR_PAYLOAD_TOO_LARGE');
      const data = await part.toBuffer();
      upload = { data, filename: part.filename, declaredType: part.mimetype, limits };
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new AppError('POS_ERR_IMAGE_TOO_LARGE', { cause: error });
    }
    throw error;
  }

  if (upload === null) throw new AppError('POS_ERR_VALIDATION');
  return upload;
}

/** Sends a stored image with the headers that keep a browser from treating it as anything else. */
export function sendImage(reply: FastifyReply, name: string, bytes: Buffer | null): FastifyReply {
  const headers = servingHeadersFor(name);
  if (!headers || !bytes) throw new AppError('POS_ERR_NOT_FOUND');
  return reply.headers(headers).send(bytes);
}

/**
 * Product image upload and download. Multipart parsing is registered only in this scope, so no
 * other route accepts multipart bodies.
 */
export async function productImageRoutes(app: App, context: AppContext): Promise<void> {
  const store = productImageStore(context);
  const limits: ImageLimits = {
    maxBytes: context.config.uploads.maxImageBytes,
    maxPixels: context.config.uploads.maxImagePixels,
  };

  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    await scope.register(multipart, {
      limits: { fileSize: limits.maxBytes, files: 1, fields: 0, parts: 1 },
    });

    scope.post(
      '/api/v1/products/:id/image',
      {
        config: { access: { permission: 'product.update' }, rateClass: 'default' },
        schema: { params: ProductParams, response: { 200: ProductView } },
      },
      async (request) => {
        const principal = principalOf(request);
        const { id } = request.params;
        await requireProduct(context, principal.restaurantId, id);

        const upload = await readImagePart(request, limits);

        return replaceProductImage(context, store, principal, id, upload, sourceOf(request));
      },
    );
  });

  app.get(
    '/api/v1/products/:id/image',
    { config: { access: { authenticated: true } }, schema: { params: ProductParams } },
    async (request, reply) => {
      const principal = principalOf(request);
      await assertStaffReader(
        context,
        principal,
        sourceOf(request),
        'GET /api/v1/products/:id/image',
      );

      const name = await productImageName(context, principal.restaurantId, request.params.id, {
        onMenuOnly: false,
      });

      return sendImage(reply, name, await store.read(name));
    },
  );
}
