import { detectThreat, type ThreatClassifier, type ThreatKind } from './detector.js';

const DEFAULT_MAX_ENTRIES = 20_000;
const DEFAULT_MAX_LENGTH = 128;

/**
 * `detectThreat` with a bounded memory of its verdicts on short strings. Requests repeat the
 * same short text over and over (path segments, property names, ids, "sem cebola"), and the
 * verdict on a string never changes, so this returns exactly what `detectThreat` would at a
 * fraction of the cost; long free text is always classified afresh. When full, the memory is
 * cleared: a flood of distinct strings costs misses, never memory, and cannot change a verdict.
 */
export function cachedThreatClassifier(
  maxEntries = DEFAULT_MAX_ENTRIES,
  maxLength = DEFAULT_MAX_LENGTH,
): ThreatClassifier {
  const verdicts = new Map<string, ThreatKind | null>();

  return (value) => {
    if (value.length > maxLength) return detectThreat(value);

    const known = verdicts.get(value);
    if (known !== undefined) return known;

    const verdict = detectThreat(value);
    if (verdicts.size >= maxEntries) verdicts.clear();
    verdicts.set(value, verdict);
    return verdict;
  };
}
