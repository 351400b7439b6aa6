import { randomBytes } from 'node:crypto';

import { getPixKeyInfo } from '@brazilian-utils/brazilian-utils';

import { AppError, validationError } from '../../../core/errors.js';

/*
 * The PIX "copia e cola" payload (BR Code): EMV QR Code Merchant Presented Mode, as the Banco
 * Central do Brasil's "Manual do BR Code" profiles it. Each field is ID (2 digits), length (2
 * digits) and value; the last field is a CRC16 over everything before its 4 hex digits.
 *
 * The encoder is written here rather than taken from a package. Of the BR Code generators on
 * npm, the only widely used one is `generatePixPayload` in @brazilian-utils/brazilian-utils
 * (others, such as `gpix` and `faz-um-pix`, see under a thousand downloads a month). It does not
 * fit a point of sale: with a key it writes a static, reusable code (no field
 * 01 = 12), takes the amount as a floating-point number of reais, truncates oversized input
 * silently and answers a bare `null` without naming the field at fault. The encoding itself is
 * a few lines of TLV and a CRC, so we keep that here and still use the library for what it does
 * well: recognising a PIX key and writing it in the DICT canonical form.
 */

const PIX_GUI = 'br.gov.bcb.pix';
const MAX_FIELD_LENGTH = 99;
const MAX_KEY_LENGTH = 77;
const MAX_MERCHANT_NAME_LENGTH = 25;
const MAX_MERCHANT_CITY_LENGTH = 15;
const MAX_AMOUNT_LENGTH = 13;
const CRC_FIELD_HEADER = '6304';

const TXID_LENGTH = 25;
const TXID_PATTERN = /^[A-Za-z0-9]{1,25}$/;
const TXID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The largest multiple of 62 that fits a byte: bytes at or above it are dropped, not folded. */
const TXID_UNBIASED_LIMIT = 248;
const TXID_MAX_DRAWS = 16;

const PRINTABLE_ASCII = /^[\x21-\x7E]+$/;
const HEADER_PATTERN = /^\d{4}$/;

export interface PixPayloadInput {
  /** The restaurant's PIX key (CPF, CNPJ, e-mail, mobile phone or random key). */
  key: string;
  merchantName: string;
  merchantCity: string;
  /** Integer cents, greater than zero. */
  amountCents: number;
  /** 1 to 25 characters of [A-Za-z0-9]; see `generatePixTxid`. */
  txid: string;
  /** Free text the payer's bank may show. */
  description?: string;
}

/** A source of random bytes; `node:crypto` `randomBytes` unless a test injects another. */
export type RandomBytes = (size: number) => Uint8Array;

/**
 * Builds the single-use PIX payload for one charge. The key is written in its DICT canonical
 * form; name, city and description are folded by `foldBrCodeText`, and name and city are then
 * cut to the 25 and 15 characters the manual allows. Throws POS_ERR_VALIDATION naming the field
 * when the key, amount, txid or description cannot be encoded.
 */
export function buildPixPayload(input: PixPayloadInput): string {
  const key = canonicalPixKey(input.key);

  const amount = formatPixAmount(input.amountCents);

  if (!TXID_PATTERN.test(input.txid)) {
    throw invalidField('/txid', 'The txid must be 1 to 25 letters or digits.');
  }

  const merchantName = foldBrCodeText(input.merchantName)
    .slice(0, MAX_MERCHANT_NAME_LENGTH)
    .trimEnd();
  if (merchantName === '') {
    throw invalidField('/merchantName', 'The merchant name must have letters or digits.');
  }

  const merchantCity = foldBrCodeText(input.merchantCity)
    .slice(0, MAX_MERCHANT_CITY_LENGTH)
    .trimEnd();
  if (merchantCity === '') {
    throw invalidField('/merchantCity', 'The merchant city must have letters or digits.');
  }

  const merchantAccount = merchantAccountTemplate(key, input.description);

  const withoutCrc =
    tlv('00', '01') +
    tlv('01', '12') +
    tlv('26', merchantAccount) +
    tlv('52', '0000') +
    tlv('53', '986') +
    tlv('54', amount) +
    tlv('58', 'BR') +
    tlv('59', merchantName) +
    tlv('60', merchantCity) +
    tlv('62', tlv('05', input.txid)) +
    CRC_FIELD_HEADER;
  return withoutCrc + crc16CcittFalse(withoutCrc);
}

/**
 * Folds free text to what every bank app reads alike: accents dropped, upper case, only A–Z,
 * 0–9 and single spaces. Apostrophes vanish ("D'Ávila" → "DAVILA"); any other symbol becomes a
 * space ("Bar & Grill" → "BAR GRILL").
 */
export function foldBrCodeText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/['’`´]/g, '')
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim();
}

/** Writes integer cents as the BR Code amount: reais, a dot and two decimals (1050 → "10.50"). */
export function formatPixAmount(amountCents: number): string {
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0) {
    throw invalidField('/amountCents', 'The amount must be a positive whole number of cents.');
  }

  const reais = Math.floor(amountCents / 100);
  const cents = amountCents % 100;
  const amount = `${reais}.${cents.toString().padStart(2, '0')}`;
  if (amount.length > MAX_AMOUNT_LENGTH) {
    throw invalidField('/amountCents', 'The amount is too large for a PIX payload.');
  }

  return amount;
}

/**
 * CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) over the UTF-8
 * bytes of `data`, as 4 upper-case hex digits. The check value of "123456789" is 29B1.
 */
export function crc16CcittFalse(data: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(data, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }

  return crc.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Splits a payload into its top-level fields by ID. The templates 26 and 62 use the same
 * grammar, so their values parse with this function too. Throws POS_ERR_VALIDATION on a
 * truncated field, a non-numeric header, an empty value or a repeated ID.
 */
export function parsePixPayload(payload: string): Map<string, string> {
  const fields: Map<string, string> = new Map();
  let offset = 0;
  while (offset < payload.length) {
    const header = payload.slice(offset, offset + 4);
    if (!HEADER_PATTERN.test(header)) {
      throw malformedPayload();
    }

    const id = header.slice(0, 2);
    const length = Number(header.slice(2));
    const end = offset + 4 + length;
    if (length === 0 || end > payload.length || fields.has(id)) {
      throw malformedPayload();
    }

    fields.set(id, payload.slice(offset + 4, end));
    offset = end;
  }

  if (fields.size === 0) {
    throw malformedPayload();
  }

  return fields;
}

/** True when the payload ends with a well-formed field 63 whose CRC matches the rest. */
export function verifyPixCrc(payload: string): boolean {
  let fields: Map<string, string>;
  try {
    fields = parsePixPayload(payload);
  } catch {
    return false;
  }

  const lastId = [...fields.keys()].at(-1);
  const crc = fields.get('63');
  if (lastId !== '63' || crc === undefined || !/^[0-9A-Fa-f]{4}$/.test(crc)) {
    return false;
  }

  return crc16CcittFalse(payload.slice(0, -4)) === crc.toUpperCase();
}

/**
 * A fresh txid: 25 characters of [A-Za-z0-9] (about 148 bits), drawn without modulo bias.
 * `random` is injectable so tests can fix the output.
 */
export function generatePixTxid(random: RandomBytes = randomBytes): string {
  let txid = '';
  for (let draw = 0; txid.length < TXID_LENGTH; draw++) {
    if (draw === TXID_MAX_DRAWS) {
      // Only a broken random source rejects every byte for 16 draws of 32.
      throw new AppError('POS_ERR_INTERNAL');
    }

    for (const byte of random(32)) {
      if (byte < TXID_UNBIASED_LIMIT && txid.length < TXID_LENGTH) {
        txid += TXID_ALPHABET.charAt(byte % TXID_ALPHABET.length);
      }
    }
  }

  return txid;
}

function canonicalPixKey(rawKey: string): string {
  const key = getPixKeyInfo(rawKey)?.value;
  if (key === undefined) {
    throw invalidField('/key', 'The PIX key is not a valid key.');
  }

  // The length header counts characters and payers' apps count bytes: keep them equal.
  if (key.length > MAX_KEY_LENGTH || !PRINTABLE_ASCII.test(key)) {
    throw invalidField('/key', 'The PIX key is too long or has unsupported characters.');
  }

  return key;
}

function merchantAccountTemplate(key: string, rawDescription: string | undefined): string {
  // A key of at most 77 characters keeps GUI + key within the 99 a field may hold.
  const withKey = tlv('00', PIX_GUI) + tlv('01', key);
  const description = rawDescription === undefined ? '' : foldBrCodeText(rawDescription);
  if (description === '') {
    return withKey;
  }

  const template = withKey + tlv('02', description);
  if (template.length > MAX_FIELD_LENGTH) {
    throw invalidField('/description', 'The description is too long for this PIX key.');
  }

  return template;
}

function tlv(id: string, value: string): string {
  return `${id}${value.length.toString().padStart(2, '0')}${value}`;
}

function invalidField(path: string, message: string): AppError {
  return validationError([{ path, message }]);
}

function malformedPayload(): AppError {
  return invalidField('/payload', 'The PIX payload is malformed.');
}
