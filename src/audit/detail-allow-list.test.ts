import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { isSensitiveKey } from '../infra/logging/scrub.js';
import { DETAIL_ALLOW_LIST, allowedDetails } from './detail-allow-list.js';

const SRC = fileURLToPath(new URL('..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** The text of each `audit.record(...)` call, up to its matching parenthesis. */
function recordCalls(text: string): Array<{ call: string; line: number }> {
  const calls: Array<{ call: string; line: number }> = [];
  for (let start = text.indexOf('audit.record('); start >= 0;) {
    let depth = 0;
    let end = start + 'audit.record'.length;
    for (; end < text.length; end += 1) {
      if (text[end] === '(') depth += 1;
      if (text[end] === ')' && (depth -= 1) === 0) break;
    }
    calls.push({ call: text.slice(start, end + 1), line: text.slice(0, start).split('\n').length });
    start = text.indexOf('audit.record(', end);
  }
  return calls;
}

/** String literals an `action:` expression can evaluate to (both arms of a conditional). */
function literals(expression: string): string[] {
  const question = expression.indexOf('?');
  const outcomes = question >= 0 ? expression.slice(question + 1) : expression;
  return [...outcomes.matchAll(/'([^']+)'|"([^"]+)"/g)].map((match) => match[1] ?? match[2] ?? '');
}

/**
 * Every action the code records: the `action:` of each `audit.record({...})` call, and of every
 * event object built elsewhere in the `type, action, outcome` order the codebase uses. A call
 * whose action cannot be read from the source is reported too, so nothing escapes the check.
 */
function recordedActions(): { actions: Map<string, string>; unreadable: string[] } {
  const actions = new Map<string, string>();
  const unreadable: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const where = path.relative(SRC, file);
    const built = [...text.matchAll(/\baction:\s*([^\n]+)\n\s*outcome:/g)];
    for (const match of built) {
      for (const action of literals(match[1] ?? '')) actions.set(action, where);
    }

    for (const { call, line } of recordCalls(text)) {
      if (file.endsWith('detail-allow-list.ts')) continue;
      const inline = /\baction:\s*([^\n]+)/.exec(call)?.[1];
      const found = inline === undefined ? [] : literals(inline);
      for (const action of found) actions.set(action, `${where}:${line}`);
      if (found.length === 0 && built.length === 0) unreadable.push(`${where}:${line}`);
    }
  }
  return { actions, unreadable };
}

describe('audit detail allow-list', () => {
  it('has an entry for every action the code records', () => {
    const { actions, unreadable } = recordedActions();

    const missing = [...actions]
      .filter(([action]) => !Object.hasOwn(DETAIL_ALLOW_LIST, action))
      .map(([action, where]) => `${action} (${where})`);

    expect(actions.size).toBeGreaterThan(15);
    expect(unreadable, 'audit.record calls whose action is not a string literal').toEqual([]);
    expect(missing, 'add these actions to src/audit/detail-allow-list.ts').toEqual([]);
  });

  it('lists no key that looks like a secret, a credential, card data or personal data', () => {
    const suspicious = Object.entries(DETAIL_ALLOW_LIST).flatMap(([action, keys]) =>
      keys.filter((key) => isSensitiveKey(key)).map((key) => `${action}: ${key}`),
    );
    expect(suspicious).toEqual([]);
  });

  it('drops unlisted keys, secret-looking ones included', () => {
    const kept = allowedDetails('auth.login', {
      reason: 'bad_password',
      password: 'hunter2-hunter2',
      totp: '123456',
      authorization: 'Bearer abc.def.ghi',
      note: 'anything else',
    });
    expect(kept).toEqual({ reason: 'bad_password' });
  });

  it('keeps nothing for an action without an entry, or one named like an object property', () => {
    expect(allowedDetails('order.unlisted', { reason: 'x', totalCents: 5 })).toEqual({});
    expect(allowedDetails('constructor', { reason: 'x' })).toEqual({});
    expect(allowedDetails('__proto__', { reason: 'x' })).toEqual({});
  });

  it('keeps primitive values only, masks card numbers and bounds string length', () => {
    const kept = allowedDetails('auth.login', {
      reason: `card 4111111111111111 ${'x'.repeat(500)}`,
      mfa: { nested: true },
      rehashed: Number.NaN,
      enrolmentPending: false,
    });
    expect(kept.reason).not.toContain('4111111111111111');
    expect(String(kept.reason).length).toBeLessThanOrEqual(200);
    expect(kept).not.toHaveProperty('mfa');
    expect(kept).not.toHaveProperty('rehashed');
    expect(kept.enrolmentPending).toBe(false);
  });
});
