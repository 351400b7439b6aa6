import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { COMMON_PASSWORDS } from './common-passwords.js';
import {
  checkPassword,
  DEFAULT_CUSTOMER_POLICY,
  DEFAULT_STAFF_POLICY,
  PASSWORD_RULE_MESSAGES,
} from './policy.js';
import type { PasswordContext, PasswordPolicy, PasswordRule } from './policy.js';
import { estimateStrength } from './strength.js';

// Every optional rule off, so a test can switch on exactly the one it is about.
const LENIENT: PasswordPolicy = {
  minLength: 1,
  maxLength: 128,
  requireLettersAndDigits: false,
  requireComposition: false,
  minStrengthScore: 0,
};

const COMPOSITION: PasswordPolicy = { ...LENIENT, requireComposition: true };

const CONTEXT: PasswordContext = {
  restaurantName: 'Cantina da Nona',
  restaurantSlug: 'cantina-da-nona',
  username: 'joao.silva',
  displayName: 'João Silva',
  role: 'cashier',
};

// Random-looking, no dictionary words: breaks nothing under the staff policy.
const RANDOM = 'wz7Rp2Lq9Ty4';

function rules(password: string, policy: PasswordPolicy, context?: PasswordContext) {
  return checkPassword(password, policy, context).map((violation) => violation.rule);
}

describe('password policy', () => {
  describe('defaults', () => {
    it('asks staff for 12 to 128 characters with letters and digits and a score of 3', () => {
      expect(DEFAULT_STAFF_POLICY).toEqual({
        minLength: 12,
        maxLength: 128,
        requireLettersAndDigits: true,
        requireComposition: false,
        minStrengthScore: 3,
      });
    });

    it('asks customers for 8 characters and a score of 2', () => {
      expect(DEFAULT_CUSTOMER_POLICY).toMatchObject({
        minLength: 8,
        requireLettersAndDigits: false,
        requireComposition: false,
        minStrengthScore: 2,
      });
    });

    it.each(['violeta-trombone-sereno-47', 'tucano vermelho dança 83', RANDOM])(
      'accepts the strong password %s for staff',
      (password) => {
        expect(rules(password, DEFAULT_STAFF_POLICY, CONTEXT)).toEqual([]);
      },
    );
  });

  describe('each rule on its own', () => {
    const cases: [PasswordRule, string, PasswordPolicy][] = [
      ['too_short', RANDOM, { ...LENIENT, minLength: 13 }],
      ['too_long', RANDOM, { ...LENIENT, maxLength: 11 }],
      ['needs_letter', '7394-8261-5530', { ...LENIENT, requireLettersAndDigits: true }],
      [
        'needs_digit',
        'correct horse battery staple',
        { ...LENIENT, requireLettersAndDigits: true },
      ],
      ['needs_uppercase', 'wz7rp2lq9ty4!', COMPOSITION],
      ['needs_lowercase', 'WZ7RP2LQ9TY4!', COMPOSITION],
      ['needs_digit', 'wzVRpXLqQTyK!', COMPOSITION],
      ['needs_special', RANDOM, COMPOSITION],
      ['repeated_characters', 'wz7Rp2Lq9Ty4!!!!', COMPOSITION],
      ['common', 'senha123', LENIENT],
      ['too_weak', 'Ab1!Ab1!Ab1!', { ...LENIENT, minStrengthScore: 3 }],
    ];

    it.each(cases)('reports %s alone', (rule, password, policy) => {
      expect(rules(password, policy)).toEqual([rule]);
    });

    it('reports contains_context alone', () => {
      expect(rules('JoaoSilva!Lontra92', LENIENT, CONTEXT)).toEqual(['contains_context']);
    });

    it('allows up to 3 repeated characters in a row', () => {
      expect(rules('wz7Rp2Lq9Ty4!!!', COMPOSITION)).toEqual([]);
    });
  });

  it('reports every broken rule at once', () => {
    const composition = { ...DEFAULT_STAFF_POLICY, requireComposition: true };

    expect(rules('aaaa', composition, CONTEXT).sort()).toEqual(
      [
        'too_short',
        'needs_digit',
        'needs_uppercase',
        'needs_special',
        'repeated_characters',
        'too_weak',
      ].sort(),
    );
    expect(rules('Cashier123', DEFAULT_STAFF_POLICY, CONTEXT).sort()).toEqual(
      ['too_short', 'contains_context', 'common', 'too_weak'].sort(),
    );
  });

  describe('length', () => {
    it('accepts 128 characters and rejects 129 for staff', () => {
      const long = RANDOM.repeat(11);

      expect(rules(long.slice(0, 128), DEFAULT_STAFF_POLICY)).toEqual([]);
      expect(rules(long.slice(0, 129), DEFAULT_STAFF_POLICY)).toContain('too_long');
    });

    it('counts Unicode code points, not UTF-16 units', () => {
      const elevenEmoji = '🍕🍔🌮🍣🍜🍩🍪🎂🍰🧁🍫';
      expect(elevenEmoji.length).toBe(22);

      expect(rules(elevenEmoji, { ...LENIENT, minLength: 12 })).toEqual(['too_short']);
      expect(rules(elevenEmoji, { ...LENIENT, maxLength: 11 })).toEqual([]);
    });

    it('counts leading and trailing spaces as typed', () => {
      expect(rules(' wz7Rp2Lq9T ', { ...LENIENT, minLength: 12 })).toEqual([]);
      expect(rules(' wz7Rp2Lq9T ', { ...LENIENT, maxLength: 11 })).toEqual(['too_long']);
    });
  });

  describe('common passwords', () => {
    it('ships at least 150 entries, Portuguese and English', () => {
      expect(COMMON_PASSWORDS.length).toBeGreaterThanOrEqual(150);
      expect(COMMON_PASSWORDS).toEqual(
        expect.arrayContaining(['senha123', 'mudar@123', 'flamengo', 'garcom', 'letmein']),
      );
    });

    it.each([
      'senha123',
      'mudar@123',
      'Senha@123',
      '123mudar',
      'Flamengo2024!',
      'Restaurante@2025',
      '2024corinthians#',
      'PALMEIRAS',
      'password1',
      'P@ssw0rd',
    ])('flags %s as common', (password) => {
      expect(rules(password, LENIENT)).toContain('common');
    });

    it('does not flag a list word buried among other letters', () => {
      expect(rules('lontravasconcelosquartzo7', LENIENT)).not.toContain('common');
    });

    it('hands the shipped list to zxcvbn as a dictionary', () => {
      // zxcvbn's own dictionaries see "mudar" plus brute force here; only the shipped list has
      // the whole entry.
      expect(estimateStrength('mudar@2025', [])).toEqual({ score: 0, wholeDictionaryWord: true });
    });
  });

  describe('context words', () => {
    it.each([
      ['the restaurant slug', 'Quartzo7-cantina.da.nona'],
      ['a word of the restaurant name', 'NonaLontra!Quartzo7'],
      ['the username', 'JoaoSilva!Lontra92'],
      ['a display-name part, accent folded', 'Lontra7Joao!Quartzo'],
      ['the role', 'Lontra7CASHIER!Quartzo'],
    ])('rejects a password containing %s', (_, password) => {
      expect(rules(password, DEFAULT_STAFF_POLICY, CONTEXT)).toContain('contains_context');
    });

    it('ignores context words shorter than 3 characters', () => {
      expect(rules('Quartzo7-Lontra-Li', LENIENT, { displayName: 'Li Wu' })).toEqual([]);
    });

    it('lowers the zxcvbn score of a password built on the context', () => {
      const password = 'CantinaDaNona2025';

      expect(rules(password, DEFAULT_STAFF_POLICY, {})).not.toContain('too_weak');
      expect(rules(password, DEFAULT_STAFF_POLICY, CONTEXT)).toContain('too_weak');
    });
  });

  describe('security', () => {
    it('answers with fixed messages that never carry the password', () => {
      const fixed = new Set(Object.values(PASSWORD_RULE_MESSAGES));

      fc.assert(
        fc.property(fc.string({ minLength: 0, maxLength: 40, unit: 'grapheme' }), (password) => {
          for (const violation of checkPassword(password, DEFAULT_STAFF_POLICY, CONTEXT)) {
            expect(violation.message).toBe(PASSWORD_RULE_MESSAGES[violation.rule]);
            expect(fixed.has(violation.message)).toBe(true);
          }
        }),
        { numRuns: 40 },
      );
    });

    it('never reports a rule twice', () => {
      const found = rules('aaaa', { ...DEFAULT_STAFF_POLICY, requireComposition: true });

      expect(new Set(found).size).toBe(found.length);
      expect(found.filter((rule) => rule === 'needs_digit')).toHaveLength(1);
    });
  });
});
