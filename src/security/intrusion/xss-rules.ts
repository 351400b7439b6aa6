import { removeControlCharacters, stripBlockComments, stripHtmlComments } from './normalize.js';

/* eslint-disable security/detect-unsafe-regex -- the rule's star-height heuristic also flags
   optional groups such as `(?:\s+all)?` that cannot backtrack; every pattern here is held to
   linear time by the adversarial-input tests in detector.test.ts instead. */

/**
 * Cross-site-scripting probes, recognised by markup or script context: a tag that runs script
 * by itself, an event-handler attribute inside a tag, a `javascript:` URL where a URL goes, or
 * a quote that leaves an attribute or a string and calls into script. "<3 obrigado!" and
 * "preço < 50" have an angle bracket but no tag; "alert the waiter" has a word but no call.
 *
 * Tag patterns use `[^<>]` so that a scan never runs past the next bracket: the work stays
 * linear however many unclosed tags an attacker sends.
 */

/** Rules read on the decoded text with null bytes removed. */
const MARKUP_RULES: readonly RegExp[] = [
  // Elements that run script or load active content on their own.
  /<\/?(?:[a-z]+:)?(?:script|iframe|frameset|object|embed|applet|svg|math|xml|import|isindex|bgsound)\b/,
  /<style\b[^<>]*>/,
  /<meta\b[^<>]*?\b(?:http-equiv|charset|content)\b/,
  /<base\b[^<>]*?\bhref\b/,
  /<link\b[^<>]*?\b(?:href|rel)\b/,
  /<frame\b[^<>]*?\bsrc\b/,

  // An event handler inside any tag, including Gecko's junk-after-the-name form.
  /<[a-z][^<>]*?[\s/+"'`;]on[a-z]{3,}(?:\s*|[^\s=<>"'a-z0-9]{1,40})=/,
  /<[a-z][^<>]*?[\s/]srcdoc\s*=/,
  /<[a-z][^<>]*?=\s*["']?&\{/,

  // A quote that closes an attribute and opens an event handler that calls something.
  /["'`][^"'`<>]{0,80}?[\s/+]on[a-z]{3,}\s*=\s*["'`]?[^\s"'`<>]{0,60}?[(`=]/,

  // A quote or semicolon that leaves a string and calls into script.
  /["'`;]\s*[;)}\]+\-*/|&,]{0,10}\s*(?:alert|prompt|confirm|eval|settimeout|setinterval|fetch)\s*(?:`|\(\s*(?:\d+\s*\)|['"`/]|document|window|this|top|self|string\.|atob|origin|location))/,
  /["'`;=(+]\s*(?:document|window|top|self|parent)\s*(?:\.|\[)\s*["']?(?:cookie|domain|location|write|open|alert|eval)\b/,
  /\bstring\s*\.\s*fromcharcode\s*\(/,

  // Client-side template injection.
  /\{\{[^{}]{0,200}?(?:constructor|\$eval|\$on\b|alert\s*\(|prompt\s*\(|confirm\s*\()/,
  /\$\{\s*(?:alert|prompt|confirm|eval)\s*\(/,
];

/**
 * Rules read on the URL-shaped text: control characters (tab, newline, `&#14;`) and comments
 * removed, the way a browser reads `jav&#x09;ascript:` or `ex/**\/pression(` as one word.
 * Spaces stay, since browsers do not drop them inside a scheme either.
 */
const URL_RULES: readonly RegExp[] = [
  /(?:^|[=("'`[<>]|url\()\s*(?:javascript|vbscript|livescript|mocha):\s*[\w$.]*\s*[(`=>[{/]/,
  /(?:^|[=("'`[<>]|url\()\s*data:\s*(?:text\/(?:html|xml|javascript|ecmascript)|image\/svg\+xml|application\/(?:x-)?(?:javascript|ecmascript|xhtml\+xml))/,
  /[:=]\s*["']?\s*expression\s*\(/,
  /(?:-moz-binding|behavior)\s*:\s*url\s*\(/,
];

const CSS_ESCAPE = /\\([0-9a-f]{1,6})\s?/g;

/** Decodes CSS escapes (`\0075rl` is `url`), which reach the browser inside style attributes. */
function decodeCssEscapes(value: string): string {
  return value.replace(CSS_ESCAPE, (match, hex: string) => {
    const codePoint = Number.parseInt(hex, 16);
    return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : match;
  });
}

/** True when the decoded, lower-cased text carries a cross-site-scripting probe. */
export function looksLikeXss(decoded: string): boolean {
  const markups = new Set([decoded.replaceAll('\0', '')]);
  if (decoded.includes('\\')) markups.add(decodeCssEscapes(decoded).replaceAll('\0', ''));

  for (const markup of markups) {
    if (MARKUP_RULES.some((rule) => rule.test(markup))) return true;

    const urlShaped = removeControlCharacters(stripBlockComments(stripHtmlComments(markup), ''));
    if (URL_RULES.some((rule) => rule.test(urlShaped))) return true;
  }

  return false;
}
