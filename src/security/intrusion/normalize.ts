/**
 * Undoes the encodings attackers stack to slip a probe past a filter, so the rules can match
 * the text an interpreter behind us would finally see.
 *
 * Hand-written rather than taken from a library: the decoders must be *lenient* where the
 * standard ones are strict on purpose. `decodeURIComponent` throws on `%c0%af` and on a lone
 * `%`; an attacker relies on exactly those overlong and malformed forms being accepted by some
 * older server, so we decode them the way such a server would instead of giving up.
 */

/** Rounds of decoding; a value encoded deeper than this is left as it stands. */
const MAX_DECODE_ROUNDS = 3;

// eslint-disable-next-line security/detect-unsafe-regex -- a fixed-width unit cannot backtrack
const PERCENT_RUN = /(?:%[0-9a-f]{2})+/gi;
const PERCENT_UNICODE = /%u([0-9a-f]{4})/gi;
const JS_UNICODE_ESCAPE = /\\u(?:\{0*([0-9a-f]{1,6})\}|([0-9a-f]{4}))/gi;
const JS_HEX_ESCAPE = /\\x([0-9a-f]{2})/gi;
const NUMERIC_ENTITY = /&#(?:x0*([0-9a-f]{1,6})|0*(\d{1,7}));?/gi;
const NAMED_ENTITY = /&([a-z]{2,8});/gi;
const LEGACY_ENTITY = /&(lt|gt|amp|quot|nbsp)(?!;)/gi;

/**
 * Named references that a browser decodes inside attributes. The first five are decoded even
 * without the trailing semicolon, as legacy HTML does; the rest only with it.
 */
const LEGACY_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  nbsp: ' ',
};

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  ...LEGACY_ENTITIES,
  apos: "'",
  tab: '\t',
  newline: '\n',
  colon: ':',
  semi: ';',
  comma: ',',
  period: '.',
  excl: '!',
  quest: '?',
  num: '#',
  equals: '=',
  plus: '+',
  percnt: '%',
  dollar: '$',
  ast: '*',
  grave: '`',
  lpar: '(',
  rpar: ')',
  lsqb: '[',
  rsqb: ']',
  lcub: '{',
  rcub: '}',
  sol: '/',
  bsol: '\\',
  verbar: '|',
  lowbar: '_',
  hyphen: '-',
};

/**
 * Decodes one run of `%XX` bytes as UTF-8, but the way a careless decoder would: overlong forms
 * (`%c0%af` for `/`, `%e0%80%af`, `%c1%9c` for `\`) yield their ASCII character, and bytes that
 * fit no sequence are taken as Latin-1 instead of failing.
 */
function decodeBytesLeniently(bytes: readonly number[]): string {
  let text = '';
  let index = 0;

  while (index < bytes.length) {
    const lead = bytes[index] ?? 0;
    const second = bytes[index + 1];
    const third = bytes[index + 2];
    const fourth = bytes[index + 3];

    if (lead < 0x80) {
      text += String.fromCharCode(lead);
      index += 1;
      continue;
    }

    // c0/c1 only ever start an overlong ASCII; old IIS ignored the continuation's high bits.
    if ((lead === 0xc0 || lead === 0xc1) && second !== undefined) {
      text += String.fromCharCode(((lead & 0x1f) << 6) | (second & 0x3f));
      index += 2;
      continue;
    }

    if (lead >= 0xc2 && lead <= 0xdf && isContinuation(second)) {
      text += String.fromCharCode(((lead & 0x1f) << 6) | (second & 0x3f));
      index += 2;
      continue;
    }

    if (lead >= 0xe0 && lead <= 0xef && isContinuation(second) && isContinuation(third)) {
      const codePoint = ((lead & 0x0f) << 12) | ((second & 0x3f) << 6) | (third & 0x3f);
      text += isSurrogate(codePoint) ? '\ufffd' : String.fromCharCode(codePoint);
      index += 3;
      continue;
    }

    if (
      lead >= 0xf0 &&
      lead <= 0xf4 &&
      isContinuation(second) &&
      isContinuation(third) &&
      isContinuation(fourth)
    ) {
      const codePoint =
        ((lead & 0x07) << 18) | ((second & 0x3f) << 12) | ((third & 0x3f) << 6) | (fourth & 0x3f);
      text += codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '\ufffd';
      index += 4;
      continue;
    }

    text += String.fromCharCode(lead);
    index += 1;
  }

  return text;
}

function isContinuation(byte: number | undefined): byte is number {
  return byte !== undefined && byte >= 0x80 && byte <= 0xbf;
}

function isSurrogate(codePoint: number): boolean {
  return codePoint >= 0xd800 && codePoint <= 0xdfff;
}

/** One round of URL decoding that never throws: malformed escapes stay as they are. */
export function percentDecode(value: string): string {
  const withUnicode = value.replace(PERCENT_UNICODE, (_match, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );

  return withUnicode.replace(PERCENT_RUN, (run) => {
    const bytes: number[] = [];
    for (let index = 1; index < run.length; index += 3) {
      bytes.push(Number.parseInt(run.slice(index, index + 2), 16));
    }
    return decodeBytesLeniently(bytes);
  });
}

/** Decodes numeric character references and the common named ones. */
export function decodeHtmlEntities(value: string): string {
  const numeric = value.replace(NUMERIC_ENTITY, (match, hex?: string, decimal?: string) => {
    const codePoint = hex !== undefined ? Number.parseInt(hex, 16) : Number(decimal);
    if (codePoint > 0x10ffff || isSurrogate(codePoint)) return match;
    return String.fromCodePoint(codePoint);
  });

  const named = numeric.replace(
    NAMED_ENTITY,
    (match, name: string) => NAMED_ENTITIES[name.toLowerCase()] ?? match,
  );
  return named.replace(
    LEGACY_ENTITY,
    (match, name: string) => LEGACY_ENTITIES[name.toLowerCase()] ?? match,
  );
}

/** Decodes `\u0041`, `\u{0041}` and `\x41`, the escapes a JavaScript or JSON sink would. */
function decodeScriptEscapes(value: string): string {
  const unicode = value.replace(JS_UNICODE_ESCAPE, (match, braced?: string, plain?: string) => {
    const codePoint = Number.parseInt(braced ?? plain ?? '', 16);
    if (codePoint > 0x10ffff || isSurrogate(codePoint)) return match;
    return String.fromCodePoint(codePoint);
  });
  return unicode.replace(JS_HEX_ESCAPE, (_match, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/**
 * Peels URL, HTML-entity and script-escape layers (up to three rounds, stopping early once a
 * round changes nothing), folds compatibility forms with NFKC (fullwidth `＜` and `＇` become
 * `<` and `'`) and lower-cases. Whitespace is kept: the rule sets each decide how to fold it.
 */
export function decodeLayers(value: string): string {
  let current = value;

  for (let round = 0; round < MAX_DECODE_ROUNDS; round += 1) {
    const next = decodeScriptEscapes(decodeHtmlEntities(percentDecode(current))).normalize('NFKC');
    if (next === current) break;
    current = next;
  }

  return current.toLowerCase();
}

/**
 * Replaces every block comment with `replacement`. MySQL's executable comments
 * (`/*!50000UNION*\/`) run their body, so only their markers go, even when unclosed, as
 * sqlmap's halfversionedmorekeywords leaves them. An ordinary comment left unclosed is kept:
 * `admin'/*` reads as a quote ending in a comment. A loop with indexOf rather than a regex so
 * that many `/*` cannot make it quadratic.
 */
export function stripBlockComments(value: string, replacement: string): string {
  let result = '';
  let position = 0;

  while (position < value.length) {
    const open = value.indexOf('/*', position);
    if (open === -1) break;

    result += value.slice(position, open);
    const executable = /^!\d{0,6}/.exec(value.slice(open + 2, open + 10));
    if (executable) {
      result += ' ';
      position = open + 2 + executable[0].length;
      continue;
    }

    const close = value.indexOf('*/', open + 2);
    if (close === -1) {
      position = open;
      break;
    }
    result += replacement;
    position = close + 2;
  }

  return (result + value.slice(position)).replaceAll('*/', ` ${replacement}`);
}

/**
 * Removes `--` and `#` comments that a newline ends (sqlmap's space2dash and space2hash put a
 * random word in one to split keywords). A comment that runs to the end is left alone: the
 * rules read a trailing comment as a sign of its own.
 */
export function stripLineComments(value: string): string {
  let result = '';
  let position = 0;

  // A scan for the next marker and then the next newline, so that a long line full of `--`
  // stays linear (a `(?:--|#)[^\n]*\n` regex would rescan the line from every marker).
  while (position < value.length) {
    const dash = value.indexOf('--', position);
    const hash = value.indexOf('#', position);
    const start = dash === -1 ? hash : hash === -1 ? dash : Math.min(dash, hash);
    if (start === -1) break;

    const newline = value.indexOf('\n', start);
    if (newline === -1) break;

    result += `${value.slice(position, start)} `;
    position = newline + 1;
  }

  return result + value.slice(position);
}

/** Treats control characters as blanks and folds runs of whitespace to one space. */
export function collapseWhitespace(value: string): string {
  // Single plain spaces are left alone so that ordinary prose costs no replacements.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we fold
  return value.replace(/[\s\u0000-\u001f\u007f]{2,}|[^\S ]|[\u0000-\u001f\u007f]/g, ' ').trim();
}

/** Removes control characters (tab and newline included), as browsers do inside a URL. */
export function removeControlCharacters(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we drop
  return value.replace(/[\u0000-\u001f\u007f]+/g, '');
}

/** Removes `<!-- … -->` comments, which browsers drop before reading a URL scheme. */
export function stripHtmlComments(value: string): string {
  let result = '';
  let position = 0;

  while (position < value.length) {
    const open = value.indexOf('<!--', position);
    if (open === -1) break;

    const close = value.indexOf('-->', open + 4);
    result += value.slice(position, open);
    position = close === -1 ? value.length : close + 3;
  }

  return result + value.slice(position);
}
