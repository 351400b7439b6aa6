/**
 * The boolean probe at the heart of most SQL injection: `<context> OR|AND <left> <operator>
 * <right>`, as in `' or 'a'='a`, `1 AND 5486=5486` or `') or ('x'='x`.
 *
 * Prose has the same words ("pick 1 or 2 = same price"), so the context decides how much more
 * is needed. Right after a quote or a closing parenthesis the attacker has just left a string,
 * and a comparison of literals is already the probe. After a bare number, or at the start,
 * something no sentence has is required: equal operands, a trailing comment, an operator only
 * SQL uses (`<>`, `LIKE`, `BETWEEN … AND`, `IS NULL`), a symbolic joiner, or a string left open
 * for the query to close.
 *
 * Built with `new RegExp` from named parts because one literal would be unreadable; the parts
 * are bounded or separated by disjoint characters, so matching stays linear. Backreferences
 * compare the operands inside the regex, which keeps the scan to a single `test` per text.
 */

const LITERAL = String.raw`(?:-?\d+(?:\.\d+)?(?:e\d+)?|0x[0-9a-f]+|'[^']{0,40}'|"[^"]{0,40}"|true|false|null)`;
const IDENTIFIER = String.raw`[a-z_][\w.$]{0,40}`;
const OPERAND = `(?:${LITERAL}|${IDENTIFIER})`;

/** A string the attacker opened and expects the query's own closing quote to finish. */
const OPEN_STRING = String.raw`(?:'[^'\s]{0,40}$|"[^"\s]{0,40}$)`;

const SQL_ONLY_OPERATOR = [
  String.raw`<=>|<>|!=`,
  String.raw`(?:not\s+)?(?:r?like\b|regexp\b|in\s*\(|between\s+[\w'".-]{1,40}\s+and\b)`,
  String.raw`is\s+(?:not\s+)?(?:null|true|false)\b|sounds\s+like\b`,
].join('|');
const OPERATOR = String.raw`(?:>=|<=|=|<|>|${SQL_ONLY_OPERATOR})`;
const STRONG_OPERATOR = `(?:${SQL_ONLY_OPERATOR})`;

const JOINER = String.raw`(?:or|and|xor|\|\||&&)(?![a-z_])`;
const LEFT_START = String.raw`\s*(?:not\s+)?\(*\s*`;
const LEFT_END = String.raw`\s*\)*\s*`;
const RIGHT_START = String.raw`\s*\(*\s*`;
const SAME_AS_LEFT = String.raw`\1(?![\w.$'"])`;
const COMMENT = String.raw`\s*\)*\s*(?:--|#|\/\*|;)`;
const RIGHT_THAT_CLOSES = String.raw`(?:${OPEN_STRING}|select\b|(?:${OPERAND}|${OPEN_STRING})?${COMMENT})`;

// eslint-disable-next-line security/detect-non-literal-regexp -- assembled once from constants
const AFTER_QUOTE = new RegExp(
  String.raw`['"\x60)]\s*${JOINER}${LEFT_START}(?:` +
    [
      `${OPERAND}${LEFT_END}(?:${STRONG_OPERATOR}|${OPERATOR}${RIGHT_START}${RIGHT_THAT_CLOSES})`,
      `${LITERAL}${LEFT_END}${OPERATOR}${RIGHT_START}${LITERAL}`,
      `(${OPERAND})${LEFT_END}${OPERATOR}${RIGHT_START}${SAME_AS_LEFT}`,
    ].join('|') +
    ')',
);

// eslint-disable-next-line security/detect-non-literal-regexp -- assembled once from constants
const AFTER_NUMBER = new RegExp(
  String.raw`(?:\d|^)\s*(?:` +
    [
      `${JOINER}${LEFT_START}${OPERAND}${LEFT_END}${OPERATOR}${RIGHT_START}${RIGHT_THAT_CLOSES}`,
      `${JOINER}${LEFT_START}${LITERAL}${LEFT_END}${STRONG_OPERATOR}`,
      `${JOINER}${LEFT_START}(${LITERAL})${LEFT_END}${OPERATOR}${RIGHT_START}${SAME_AS_LEFT}`,
      String.raw`(?:\|\||&&)${LEFT_START}${LITERAL}${LEFT_END}${OPERATOR}`,
    ].join('|') +
    ')',
);

/** True when the SQL view holds a boolean comparison that only an injection would write. */
export function hasTautology(view: string): boolean {
  return AFTER_QUOTE.test(view) || AFTER_NUMBER.test(view);
}
