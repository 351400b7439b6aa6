import { decodeLayers } from './normalize.js';
import { looksLikeSqlInjection } from './sql-rules.js';
import { looksLikePathTraversal } from './traversal-rules.js';
import { looksLikeXss } from './xss-rules.js';

/**
 * Detection of injection, XSS and path-traversal probes in a request (SPEC 5.4).
 *
 * This is an alarm, not the defence: queries are parameterized, input is validated by schema
 * and output is encoded whatever it says. Its job is to notice someone probing, so the probe
 * can be audited and the source slowed down, without ever flagging a customer called O'Brien.
 * The rule sets are hand-written: no structural detector such as libinjection is among the
 * available packages, and the rules must be tuned to this domain's text (apostrophes in names,
 * `--` and `OR` in kitchen notes) in any case.
 */

export type ThreatKind = 'sql_injection' | 'xss' | 'path_traversal';

export type ThreatLocation = 'path' | 'query' | 'body';

export interface ThreatHit {
  kind: ThreatKind;
  location: ThreatLocation;
}

export interface ScannedRequest {
  path: string;
  query?: unknown;
  body?: unknown;
}

/**
 * CPU bounds. At most `maxTextLength` characters of one request (path, keys and string values
 * together) are examined, and values nested deeper than `maxDepth` are not visited; whatever
 * lies beyond is not scanned. Body size and nesting are capped earlier by the body limit and
 * the route schemas, so a real request never reaches these numbers.
 */
export const SCAN_LIMITS = {
  maxTextLength: 64 * 1024,
  maxDepth: 16,
} as const;

const CHECKS: ReadonlyArray<readonly [ThreatKind, (decoded: string) => boolean]> = [
  ['sql_injection', looksLikeSqlInjection],
  ['xss', looksLikeXss],
  ['path_traversal', looksLikePathTraversal],
];

/**
 * Classifies one string. Only its first `SCAN_LIMITS.maxTextLength` characters are read.
 * When a string carries probes of several kinds, the first in SQL, XSS, traversal order wins.
 */
export function detectThreat(value: string): ThreatKind | null {
  const decoded = decodeLayers(value.slice(0, SCAN_LIMITS.maxTextLength));

  for (const [kind, looksLike] of CHECKS) {
    if (looksLike(decoded)) return kind;
  }
  return null;
}

/** Classifies one string; `detectThreat` or an equivalent (a memo of it). */
export type ThreatClassifier = (value: string) => ThreatKind | null;

/** What is left of the text allowance for one request, and how to classify text. */
interface Budget {
  remaining: number;
  classify: ThreatClassifier;
}

function scanText(text: string, budget: Budget): ThreatKind | null {
  if (budget.remaining <= 0 || text.length === 0) return null;

  const portion = text.slice(0, budget.remaining);
  budget.remaining -= portion.length;
  return budget.classify(portion);
}

/** Walks strings, object keys and arrays depth-first; numbers and booleans cannot carry text. */
function scanValue(value: unknown, depth: number, budget: Budget): ThreatKind | null {
  if (typeof value === 'string') return scanText(value, budget);

  if (value === null || typeof value !== 'object' || depth >= SCAN_LIMITS.maxDepth) return null;

  // Raw bytes (uploads) are checked by the file-type validation, not read as text.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return null;

  if (Array.isArray(value)) {
    for (const item of value) {
      const found = scanValue(item, depth + 1, budget);
      if (found !== null || budget.remaining <= 0) return found;
    }
    return null;
  }

  for (const [key, item] of Object.entries(value)) {
    const found = scanText(key, budget) ?? scanValue(item, depth + 1, budget);
    if (found !== null || budget.remaining <= 0) return found;
  }
  return null;
}

/**
 * The path is read whole (a traversal spans segments) and then segment by segment, so that a
 * probe placed in one segment is judged on its own, as it would be in a query value.
 */
function scanPath(path: string, budget: Budget): ThreatKind | null {
  const whole = scanText(path, budget);
  if (whole !== null) return whole;

  for (const segment of path.split('/')) {
    const found = scanText(segment, budget);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Scans the path, then the query, then the body of a request and reports the first probe
 * found, with where it was. Returns null for a clean request, or when the probe lies beyond
 * `SCAN_LIMITS`. `classify` must give `detectThreat`'s verdicts (the HTTP hook passes a memo).
 */
export function scanRequest(
  request: ScannedRequest,
  classify: ThreatClassifier = detectThreat,
): ThreatHit | null {
  const budget: Budget = { remaining: SCAN_LIMITS.maxTextLength, classify };

  const inPath = scanPath(request.path, budget);
  if (inPath !== null) return { kind: inPath, location: 'path' };

  const inQuery = scanValue(request.query, 0, budget);
  if (inQuery !== null) return { kind: inQuery, location: 'query' };

  const inBody = scanValue(request.body, 0, budget);
  if (inBody !== null) return { kind: inBody, location: 'body' };

  return null;
}
