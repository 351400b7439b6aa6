/*
 * PCI DSS forbids keeping card security data after authorization (CVV/CVC, PIN, magnetic-stripe
 * track data), and SPEC 5.6 goes further: a request that carries any of it is refused before it
 * can reach a log or a table. This detector decides "carries it" for any parsed JSON body.
 */

/** Deeper than this the body is not cleared, so it counts as sensitive (fail closed). */
const MAX_DEPTH = 32;

/**
 * Key names after lower-casing and dropping `_`, `-`, `.` and spaces. Matching is exact, so
 * `pinned`, `pincode` (a postal code in some countries), `tracking` and `cidade` stay ordinary.
 */
const SENSITIVE_KEYS = new Set([
  'cvv',
  'cvv2',
  'cvc',
  'cvc2',
  'cvn',
  'cvn2',
  'cav2',
  'cvd',
  'cid',
  'csc',
  'cardcode',
  'securitycode',
  'cardsecuritycode',
  'cardverificationcode',
  'cardverificationvalue',
  'pin',
  'pinblock',
  'pinnumber',
  'cardpin',
  'track',
  'track1',
  'track2',
  'track3',
  'trackdata',
  'track1data',
  'track2data',
  'magstripe',
  'magstripedata',
  'magneticstripe',
  'magneticstripedata',
]);

/** Keys such as `cardCvv`, `card_cvc2` or `paymentCvv` name a security code whatever the prefix. */
const SENSITIVE_KEY_SUFFIX = /(?:cvv|cvc)2?$/;
const KEY_NOISE = /[_\-.\s]/g;

/*
 * Track 1 is `%B<PAN>^<NAME>^<YYMM><service code>...?`, track 2 `;<PAN>=<YYMM><service code>...?`.
 * A copy may lose its sentinels, so each is also matched without them when enough of the
 * structure remains: B, PAN, two carets and an expiry for track 1; a PAN, `=` and the 7 digits of
 * expiry and service code for track 2.
 */
const TRACK_1 = /%B\d{13,19}\^|B\d{13,19}\^[^^]{0,26}\^\d{4}/i;
const TRACK_2 = /;\d{13,19}[=D]\d*\?|\d{13,19}=\d{7}/;

/**
 * True when `body` holds card security data: a key that names it (ignoring case, `_`, `-`, `.`
 * and spaces) anywhere in nested objects and arrays, or a string, value or key, shaped like
 * track data.
 * A key counts whatever its value, even null. Free text that merely mentions such words, such as
 * a note "pin the order to table 4", does not count.
 */
export function containsSensitiveCardData(body: unknown): boolean {
  return inspect(body, 0);
}

function inspect(value: unknown, depth: number): boolean {
  if (typeof value === 'string') {
    return looksLikeTrackData(value);
  }

  if (value === null || typeof value !== 'object') {
    return false;
  }

  if (depth >= MAX_DEPTH) {
    return true;
  }

  if (Array.isArray(value)) {
    return value.some((item) => inspect(item, depth + 1));
  }

  return Object.entries(value).some(
    ([key, child]) => isSensitiveKey(key) || looksLikeTrackData(key) || inspect(child, depth + 1),
  );
}

function isSensitiveKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(KEY_NOISE, '');
  return SENSITIVE_KEYS.has(normalized) || SENSITIVE_KEY_SUFFIX.test(normalized);
}

function looksLikeTrackData(text: string): boolean {
  return TRACK_1.test(text) || TRACK_2.test(text);
}
