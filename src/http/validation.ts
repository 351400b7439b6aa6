import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

const COMMON: Options = {
  // Unknown properties are rejected, never silently dropped, and every broken field is named.
  removeAdditional: false,
  allErrors: true,
  useDefaults: true,
  strict: false,
};

/**
 * Two validators: bodies are checked exactly as sent (a quantity sent as "2" is an error), while
 * path and query parameters, which are always text on the wire, are coerced to their schema type.
 */
export function installValidators(app: FastifyInstance): void {
  const bodies = addFormats.default(new Ajv({ ...COMMON, coerceTypes: false }));
  const parameters = addFormats.default(new Ajv({ ...COMMON, coerceTypes: 'array' }));

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodies : parameters;
    return ajv.compile(schema);
  });
}

/** True when every object in the schema rejects unknown properties. */
export function isClosedSchema(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return true;
  const node = schema as Record<string, unknown>;
  if (node.type === 'object' && node.properties && node.additionalProperties !== false) {
    return false;
  }
  return Object.values(node).every((child) =>
    Array.isArray(child) ? child.every(isClosedSchema) : isClosedSchema(child),
  );
}

export type { FastifySchema };
