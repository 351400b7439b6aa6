import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { AppError } from '../../core/errors.js';
import { DecryptionError } from './errors.js';
import { KeyRing, generateDataKey, unwrapDataKey, wrapDataKey } from './key-ring.js';

const masterKey = randomBytes(32);

describe('key ring', () => {
  const k1 = generateDataKey('k1');
  const k2 = generateDataKey('k2');

  it('exposes the active key id, its keys and their ids', () => {
    const ring = new KeyRing({ keys: [k1, k2], activeKeyId: 'k2' });

    expect(ring.activeKeyId).toBe('k2');
    expect(ring.ids()).toEqual(['k1', 'k2']);
    expect(ring.has('k1')).toBe(true);
    expect(ring.has('k3')).toBe(false);
    expect(ring.get('k1').equals(k1.key)).toBe(true);
  });

  it('is not changed by mutating the buffers handed in or out', () => {
    const original = Buffer.from(k1.key);
    const input = { id: 'k1', key: Buffer.from(k1.key) };
    const ring = new KeyRing({ keys: [input], activeKeyId: 'k1' });

    input.key.fill(0);
    ring.get('k1').fill(0);

    expect(ring.get('k1').equals(original)).toBe(true);
  });

  it('throws a generic error for an unknown id, without naming it', () => {
    const ring = new KeyRing({ keys: [k1], activeKeyId: 'k1' });

    expect(() => ring.get('secret-id')).toThrow(AppError);
    expect(() => ring.get('secret-id')).toThrow('The data key is not available.');
  });

  it.each([
    ['an active id not in the ring', { keys: [k1], activeKeyId: 'k2' }],
    ['an empty ring', { keys: [], activeKeyId: 'k1' }],
    ['duplicate ids', { keys: [k1, { id: 'k1', key: k2.key }], activeKeyId: 'k1' }],
    ['a 16-byte key', { keys: [{ id: 'k1', key: randomBytes(16) }], activeKeyId: 'k1' }],
    ['a 33-byte key', { keys: [{ id: 'k1', key: randomBytes(33) }], activeKeyId: 'k1' }],
    ['an id with a dot', { keys: [{ id: 'k.1', key: k1.key }], activeKeyId: 'k.1' }],
    ['an empty id', { keys: [{ id: '', key: k1.key }], activeKeyId: '' }],
    [
      'an id over 32 chars',
      { keys: [{ id: 'k'.repeat(33), key: k1.key }], activeKeyId: 'k'.repeat(33) },
    ],
  ])('rejects %s', (_label, options) => {
    expect(() => new KeyRing(options)).toThrow(AppError);
  });
});

describe('data keys', () => {
  it('generates 32 random bytes under the given id', () => {
    const first = generateDataKey('k1');
    const second = generateDataKey('k1');

    expect(first.id).toBe('k1');
    expect(first.key).toHaveLength(32);
    expect(first.key.equals(second.key)).toBe(false);
  });

  it('refuses an id outside [A-Za-z0-9_-]{1,32}', () => {
    expect(() => generateDataKey('k 1')).toThrow(AppError);
  });
});

describe('data key wrapping', () => {
  const dataKey = generateDataKey('k7');

  it('round-trips a data key under the master key', () => {
    const wrapped = wrapDataKey(masterKey, dataKey);
    const unwrapped = unwrapDataKey(masterKey, 'k7', wrapped);

    expect(unwrapped.id).toBe('k7');
    expect(unwrapped.key.equals(dataKey.key)).toBe(true);
  });

  it('does not contain the key bytes in any common encoding', () => {
    const wrapped = wrapDataKey(masterKey, dataKey);

    expect(wrapped).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(wrapped).not.toContain(dataKey.key.toString('base64url'));
    expect(wrapped).not.toContain(dataKey.key.toString('hex'));
  });

  it('wraps the same key differently each time', () => {
    expect(wrapDataKey(masterKey, dataKey)).not.toBe(wrapDataKey(masterKey, dataKey));
  });

  describe('security', () => {
    it('fails with the wrong master key', () => {
      const wrapped = wrapDataKey(masterKey, dataKey);

      expect(() => unwrapDataKey(randomBytes(32), 'k7', wrapped)).toThrow(DecryptionError);
    });

    it('fails when the wrapped key is relabelled with another id', () => {
      const wrapped = wrapDataKey(masterKey, dataKey);

      expect(() => unwrapDataKey(masterKey, 'k8', wrapped)).toThrow(DecryptionError);
    });

    it('fails when the wrapped key is altered', () => {
      const wrapped = wrapDataKey(masterKey, dataKey);
      const last = wrapped.at(-2) === 'A' ? 'B' : 'A';
      const altered = `${wrapped.slice(0, -2)}${last}${wrapped.slice(-1)}`;

      expect(() => unwrapDataKey(masterKey, 'k7', altered)).toThrow(DecryptionError);
    });

    it.each([
      ['an empty string', ''],
      ['another version', 'v2.AAAA'],
      ['an extra part', 'v1.AAAA.AAAA'],
    ])('fails for %s', (_label, wrapped) => {
      expect(() => unwrapDataKey(masterKey, 'k7', wrapped)).toThrow(DecryptionError);
    });

    it('refuses a master key that is not 32 bytes', () => {
      expect(() => wrapDataKey(randomBytes(16), dataKey)).toThrow(
        'The master key must be 32 bytes.',
      );
      expect(() => unwrapDataKey(randomBytes(31), 'k7', 'v1.AAAA')).toThrow(
        'The master key must be 32 bytes.',
      );
    });

    it('refuses to wrap a data key that is not 32 bytes', () => {
      expect(() => wrapDataKey(masterKey, { id: 'k7', key: randomBytes(16) })).toThrow(AppError);
    });
  });
});
