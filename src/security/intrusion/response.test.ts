import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ManualClock } from '../../core/clock.js';
import { AddressPolicy, normalizeAddress } from './address-policy.js';
import { detectThreat, scanRequest } from './detector.js';
import { withoutCredentials } from './scan-input.js';
import { SlidingWindowLog } from './sliding-window.js';
import { cachedThreatClassifier } from './verdict-cache.js';

const corpusLines = (name: string): string[] =>
  readFileSync(new URL(`./corpora/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));

describe('sliding window of a source’s events', () => {
  it('counts events and distinct tags within the window, forgetting older ones', () => {
    const clock = new ManualClock();
    const log = new SlidingWindowLog(clock, { windowMs: 10 * 60_000 });

    expect(log.record('203.0.113.1', 'a')).toEqual({ events: 1, distinctTags: 1 });
    clock.advance(4 * 60_000);
    expect(log.record('203.0.113.1', 'b')).toEqual({ events: 2, distinctTags: 2 });
    expect(log.record('203.0.113.1', 'a')).toEqual({ events: 3, distinctTags: 2 });
    expect(log.record('203.0.113.2')).toEqual({ events: 1, distinctTags: 0 });

    clock.advance(6 * 60_000);
    // The first event is ten minutes old: out. Tag `a` was seen again since: still in.
    expect(log.record('203.0.113.1', 'c')).toEqual({ events: 3, distinctTags: 3 });
    clock.advance(4 * 60_000 + 1);
    expect(log.record('203.0.113.1')).toEqual({ events: 2, distinctTags: 1 });
  });

  it('starts a source over when told, and stays bounded under a flood of sources', () => {
    const log = new SlidingWindowLog(new ManualClock(), { windowMs: 60_000, maxSubjects: 100 });
    log.record('x');
    log.forget('x');
    expect(log.record('x')).toEqual({ events: 1, distinctTags: 0 });

    for (let i = 0; i < 1_000; i += 1) log.record(`198.51.100.${i}`);
    expect(log.record('198.51.100.999').events).toBe(2);
  });
});

describe('which addresses may be blocked', () => {
  const policy = new AddressPolicy(['10.0.0.0/8', '192.0.2.10', 'uniquelocal']);

  it('never blocks loopback, the unspecified address or a trusted proxy', () => {
    for (const address of [
      '127.0.0.1',
      '127.5.5.5',
      '::1',
      '0.0.0.0',
      '::',
      '10.1.2.3',
      '192.0.2.10',
      '172.16.0.1',
      'fd00::1',
    ]) {
      expect(policy.isBlockable(address), address).toBe(false);
    }
    for (const address of ['203.0.113.7', '192.0.2.11', '2001:db8::']) {
      expect(policy.isBlockable(address), address).toBe(true);
    }
    expect(policy.isBlockable('not-an-address')).toBe(false);
  });

  it('reads addresses as requests are read: IPv4-mapped as IPv4, IPv6 as its /64', () => {
    expect(normalizeAddress(' 203.0.113.7 ')).toBe('203.0.113.7');
    expect(normalizeAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(normalizeAddress('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::');
    for (const bad of ['', 'localhost', '203.0.113', '203.0.113.7/24', '1.2.3.4; drop']) {
      expect(normalizeAddress(bad), bad).toBeNull();
    }
  });
});

describe('what the scan reads', () => {
  it('leaves credential fields out, at any depth, without touching the request', () => {
    const body = {
      username: 'ana',
      password: "' OR '1'='1",
      nested: [{ newPassword: '../../x', note: 'sem cebola' }],
      totp: '123456',
      refreshToken: 'abc',
    };
    const scanned = withoutCredentials(body, 0);

    expect(scanned).toEqual({ username: 'ana', nested: [{ note: 'sem cebola' }] });
    expect(body.password).toBe("' OR '1'='1");
    expect(withoutCredentials({ note: 'x' }, 0)).toEqual({ note: 'x' });
  });

  it('returns a body that holds no credential as it is, without copying', () => {
    const body = { items: [{ note: 'a' }], tableLabel: 'Mesa 7' };
    expect(withoutCredentials(body, 0)).toBe(body);
  });
});

describe('the verdict memory', () => {
  it('gives detectThreat’s verdict on every corpus line, first time and from memory', () => {
    const classify = cachedThreatClassifier(50, 128);
    const lines = [...corpusLines('attacks.txt'), ...corpusLines('benign.txt')];
    for (const round of [1, 2]) {
      for (const line of lines) {
        expect(classify(line), `${round}: ${line}`).toBe(detectThreat(line));
      }
    }
  });

  it('agrees with detectThreat on arbitrary text, and scanRequest agrees with it', () => {
    const classify = cachedThreatClassifier(10, 16);
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 8 }), (values) => {
        for (const value of [...values, ...values]) {
          expect(classify(value)).toBe(detectThreat(value));
        }
        const request = { path: '/api/v1/x', body: { values } };
        expect(scanRequest(request, classify)).toEqual(scanRequest(request));
      }),
    );
  });
});
