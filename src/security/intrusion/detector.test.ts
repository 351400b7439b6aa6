import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCAN_LIMITS, detectThreat, scanRequest } from './detector.js';
import type { ThreatKind } from './detector.js';

interface CorpusLine {
  text: string;
  family: ThreatKind | null;
}

const FAMILY_HEADER = /^# family: (sql_injection|xss|path_traversal)\s*$/;

/** Reads a corpus: one string per line, `#` starts a comment, `# family: x` labels a block. */
function readCorpus(name: string): CorpusLine[] {
  const text = readFileSync(new URL(`./corpora/${name}`, import.meta.url), 'utf8');
  const lines: CorpusLine[] = [];
  let family: ThreatKind | null = null;

  for (const line of text.split('\n').map((raw) => raw.replace(/\r$/, ''))) {
    const header = FAMILY_HEADER.exec(line);
    if (header) family = header[1] as ThreatKind;
    if (line.startsWith('#') || line.trim() === '') continue;
    lines.push({ text: line, family });
  }
  return lines;
}

const benign = readCorpus('benign.txt').map((line) => line.text);
const attacks = readCorpus('attacks.txt');

const percent = (part: number, whole: number): string => ((100 * part) / whole).toFixed(1);

/** Fastest of a few runs, so that a busy machine does not pass for a slow regex. */
function fastestMs(run: () => unknown, attempts = 5): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const start = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

describe('intrusion detector', () => {
  describe('corpora', () => {
    it('flags none of the ordinary restaurant strings and at least 95% of the attacks', () => {
      const falsePositives = benign.filter((text) => detectThreat(text) !== null);
      const missed = attacks.filter((line) => detectThreat(line.text) === null);
      const flagged = attacks.length - missed.length;

      console.log(
        `intrusion corpus: benign ${falsePositives.length}/${benign.length} flagged, ` +
          `attacks ${flagged}/${attacks.length} flagged (${percent(flagged, attacks.length)}%)`,
      );
      if (missed.length > 0)
        console.log(
          'intrusion corpus: missed',
          missed.map((l) => l.text),
        );

      expect(benign.length).toBeGreaterThanOrEqual(200);
      expect(falsePositives).toEqual([]);
      expect(attacks.length).toBeGreaterThanOrEqual(150);
      expect(flagged / attacks.length).toBeGreaterThanOrEqual(0.95);
    });

    it('names the kind of the attack family for at least 95% of the flagged payloads', () => {
      const flagged = attacks.filter((line) => detectThreat(line.text) !== null);
      const misnamed = flagged.filter((line) => detectThreat(line.text) !== line.family);

      if (misnamed.length > 0) console.log('intrusion corpus: misnamed', misnamed);

      expect(attacks.every((line) => line.family !== null)).toBe(true);
      expect(1 - misnamed.length / flagged.length).toBeGreaterThanOrEqual(0.95);
    });

    it('has every family represented', () => {
      const families = new Set(attacks.map((line) => line.family));

      expect(families).toEqual(new Set(['sql_injection', 'xss', 'path_traversal']));
    });
  });

  describe('examples named by the spec', () => {
    it.each([
      "O'Brien",
      'no onions -- and extra cheese',
      'sem cebola -- e OR extra queijo',
      'select a drink later',
      '<3 obrigado!',
    ])('does not flag %j', (text) => {
      expect(detectThreat(text)).toBeNull();
    });

    it.each<[string, ThreatKind]>([
      ["' or 1=1--", 'sql_injection'],
      ["' or 'a'='a", 'sql_injection'],
      ['1 union all select null,null--', 'sql_injection'],
      ["'; drop table users--", 'sql_injection'],
      ['<script>alert(1)</script>', 'xss'],
      ['<svg/onload=alert(1)>', 'xss'],
      ['../../../etc/passwd', 'path_traversal'],
      ['..%c0%af..%c0%afetc%c0%afpasswd', 'path_traversal'],
    ])('flags %j as %s', (text, kind) => {
      expect(detectThreat(text)).toBe(kind);
    });
  });

  describe('normalization', () => {
    it('sees through URL encoding up to three rounds, but not a fourth', () => {
      const encodeRounds = (text: string, rounds: number): string =>
        rounds === 0 ? text : encodeRounds(encodeURIComponent(text), rounds - 1);

      expect(detectThreat(encodeRounds('<script>alert(1)</script>', 3))).toBe('xss');
      expect(detectThreat(encodeRounds('<script>alert(1)</script>', 4))).toBeNull();
    });

    it('tolerates malformed escapes instead of failing', () => {
      expect(detectThreat('100% %zz %e0%80 %')).toBeNull();
      expect(detectThreat('%zz ../../etc/passwd %')).toBe('path_traversal');
    });

    it('decodes HTML entities, fullwidth forms and inline SQL comments', () => {
      expect(detectThreat('&lt;img src=x onerror=alert(1)&gt;')).toBe('xss');
      expect(detectThreat('＜script＞alert(1)＜/script＞')).toBe('xss');
      expect(detectThreat('1/**/UN/**/ION/**/SEL/**/ECT/**/null,null')).toBe('sql_injection');
    });
  });

  describe('scanRequest', () => {
    it('flags no benign string in a body value, a query value or a path segment', () => {
      const flagged = benign.filter(
        (text) =>
          scanRequest({ path: '/api/v1/orders', body: { notes: text } }) !== null ||
          scanRequest({ path: '/api/v1/orders', query: { q: text } }) !== null ||
          scanRequest({ path: `/api/v1/customers/${encodeURIComponent(text)}` }) !== null,
      );

      expect(flagged).toEqual([]);
    });

    it('finds every detected attack in the body and in the query, and names the location', () => {
      const detected = attacks.filter((line) => detectThreat(line.text) !== null);
      const missedInBody = detected.filter(
        (line) => scanRequest({ path: '/api/v1/orders', body: { notes: line.text } }) === null,
      );
      const missedInQuery = detected.filter(
        (line) => scanRequest({ path: '/api/v1/orders', query: { q: line.text } }) === null,
      );

      expect(missedInBody).toEqual([]);
      expect(missedInQuery).toEqual([]);
      expect(scanRequest({ path: '/a', body: { n: "' or 1=1--" } })?.location).toBe('body');
      expect(scanRequest({ path: '/a', query: { n: "' or 1=1--" } })?.location).toBe('query');
    });

    it('finds every detected attack placed in a URL-encoded path segment', () => {
      const detected = attacks.filter((line) => detectThreat(line.text) !== null);
      const missedInPath = detected.filter(
        (line) => scanRequest({ path: `/api/v1/menu/${encodeURIComponent(line.text)}` }) === null,
      );

      expect(missedInPath).toEqual([]);
      expect(scanRequest({ path: '/static/..%2f..%2fetc%2fpasswd' })).toEqual({
        kind: 'path_traversal',
        location: 'path',
      });
    });

    it('reads object keys as well as values', () => {
      expect(scanRequest({ path: '/a', body: { '<img src=x onerror=alert(1)>': 1 } })).toEqual({
        kind: 'xss',
        location: 'body',
      });
    });

    it('walks nested objects and arrays within the depth limit', () => {
      const body = { order: { items: [{ name: 'X-Tudo' }, { notes: ["1' and sleep(5)--"] }] } };

      expect(scanRequest({ path: '/api/v1/orders', body })).toEqual({
        kind: 'sql_injection',
        location: 'body',
      });
    });

    it(`does not descend past ${SCAN_LIMITS.maxDepth} levels of nesting`, () => {
      const nest = (levels: number, leaf: unknown): unknown =>
        levels === 0 ? leaf : { child: nest(levels - 1, leaf) };
      const probe = '<script>alert(1)</script>';

      expect(scanRequest({ path: '/a', body: nest(SCAN_LIMITS.maxDepth, probe) })).not.toBeNull();
      expect(scanRequest({ path: '/a', body: nest(SCAN_LIMITS.maxDepth + 1, probe) })).toBeNull();
    });

    it(`stops reading after ${SCAN_LIMITS.maxTextLength} characters of text`, () => {
      const filler = 'a'.repeat(SCAN_LIMITS.maxTextLength);
      const probe = '../../../etc/passwd';

      expect(scanRequest({ path: '/a', body: [filler.slice(0, 1000), probe] })).not.toBeNull();
      expect(scanRequest({ path: '/a', body: [filler, probe] })).toBeNull();
    });

    it('ignores numbers, booleans, null and raw bytes', () => {
      const body = { total: 1, paid: true, tip: null, photo: Buffer.from("' or 1=1--") };

      expect(scanRequest({ path: '/api/v1/orders', body })).toBeNull();
    });
  });

  describe('security: bounded work', () => {
    const size = SCAN_LIMITS.maxTextLength;
    const adversarial: Array<[string, string]> = [
      ['quotes and joiners', "' or ".repeat(size / 5)],
      ['numbers and joiners', '1 or 1 '.repeat(size / 7)],
      ['unclosed tags', '<a '.repeat(size / 3)],
      ['tag with handler-like words', '<a' + ' onx'.repeat(size / 4)],
      ['attribute with quotes', '<a "'.repeat(size / 4)],
      ['unclosed comments', '/*'.repeat(size / 2)],
      ['html comments', '<!--'.repeat(size / 4)],
      ['percent signs', '%'.repeat(size)],
      ['broken escapes', '%c0'.repeat(size / 3)],
      ['entities', '&#'.repeat(size / 2)],
      ['dots and slashes', '..'.repeat(size / 2) + 'x'],
      ['quote then dashes', "'" + '-'.repeat(size - 2) + 'x'],
      ['spaces then a joiner', '1' + ' '.repeat(size - 4) + 'or'],
      ['semicolon and a long name', '; drop table ' + 'a'.repeat(size - 20) + '!'],
      ['union words', 'union '.repeat(size / 6)],
      ['braces', '{{'.repeat(size / 2)],
      ['one letter', 'a'.repeat(size)],
    ];

    // A quadratic pattern takes seconds on these inputs; a linear one a few milliseconds.
    it.each(adversarial)('scans a 64 KiB string of %s in under 50 ms', (_name, text) => {
      expect(fastestMs(() => detectThreat(text))).toBeLessThan(50);
    });
  });
});
