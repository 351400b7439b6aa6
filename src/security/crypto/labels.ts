/**
 * Names that end up framed inside authenticated data or HMAC input. They are restricted so they
 * can never contain the separators that frame them ('.' in stored values, NUL in AAD and in
 * blind-index input), which keeps every framing unambiguous.
 */
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** Contexts and field names look like `customers.cpf` or `webhooks.secret`. */
const LABEL_PATTERN = /^[A-Za-z0-9_.:/-]{1,128}$/;

export function isValidKeyId(id: string): boolean {
  return typeof id === 'string' && KEY_ID_PATTERN.test(id);
}

export function isValidLabel(label: string): boolean {
  return typeof label === 'string' && LABEL_PATTERN.test(label);
}
