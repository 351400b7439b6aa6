import { COMMON_PASSWORDS } from './common-passwords.js';
import { codePointLength, MAX_PASSWORD_LENGTH } from './limits.js';
import { estimateStrength } from './strength.js';

export interface PasswordPolicy {
  /** In Unicode code points. */
  minLength: number;
  /** In Unicode code points; at most `MAX_PASSWORD_LENGTH`, which the hasher enforces. */
  maxLength: number;
  /** At least one letter and one digit (PCI DSS 8.3.6). */
  requireLettersAndDigits: boolean;
  /**
   * The seed guideline's composition rules: an uppercase letter, a lowercase letter, a digit, a
   * special character and no character repeated more than 3 times in a row.
   */
  requireComposition: boolean;
  /** The lowest zxcvbn score (0 to 4) accepted. */
  minStrengthScore: 0 | 1 | 2 | 3 | 4;
}

/** Staff: 12 characters with letters and digits, as PCI DSS 8.3.6 asks, and a strong score. */
export const DEFAULT_STAFF_POLICY: Readonly<PasswordPolicy> = Object.freeze({
  minLength: 12,
  maxLength: MAX_PASSWORD_LENGTH,
  requireLettersAndDigits: true,
  requireComposition: false,
  minStrengthScore: 3,
});

/** Customers of the ordering front ends: no card data behind their accounts, so a lighter rule. */
export const DEFAULT_CUSTOMER_POLICY: Readonly<PasswordPolicy> = Object.freeze({
  minLength: 8,
  maxLength: MAX_PASSWORD_LENGTH,
  requireLettersAndDigits: false,
  requireComposition: false,
  minStrengthScore: 2,
});

export type PasswordRule =
  | 'too_short'
  | 'too_long'
  | 'needs_letter'
  | 'needs_digit'
  | 'needs_uppercase'
  | 'needs_lowercase'
  | 'needs_special'
  | 'repeated_characters'
  | 'common'
  | 'contains_context'
  | 'too_weak';

export interface PasswordViolation {
  rule: PasswordRule;
  message: string;
}

/** Names the password must not be built from. Words shorter than 3 characters are ignored. */
export interface PasswordContext {
  restaurantName?: string;
  restaurantSlug?: string;
  username?: string;
  displayName?: string;
  role?: string;
}

/** Fixed messages: they explain the rule and never echo the password. */
export const PASSWORD_RULE_MESSAGES: Readonly<Record<PasswordRule, string>> = Object.freeze({
  too_short: 'The password is shorter than the minimum length.',
  too_long: 'The password is longer than the maximum length.',
  needs_letter: 'The password must contain a letter.',
  needs_digit: 'The password must contain a digit.',
  needs_uppercase: 'The password must contain an uppercase letter.',
  needs_lowercase: 'The password must contain a lowercase letter.',
  needs_special: 'The password must contain a character that is neither a letter nor a digit.',
  repeated_characters: 'The password must not repeat a character more than 3 times in a row.',
  common: 'The password is too common.',
  contains_context: 'The password must not contain the restaurant, user or role name.',
  too_weak: 'The password is too easy to guess.',
});

const MAX_REPEATED_CHARACTERS = 3;
const MIN_CONTEXT_WORD_LENGTH = 3;

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;
const UPPERCASE = /\p{Lu}/u;
const LOWERCASE = /\p{Ll}/u;
// Broader than the seed's fixed symbol list on purpose: any symbol, space or non-Latin mark counts.
const SPECIAL = /[^\p{L}\p{N}]/u;
const NOT_LETTER_EDGES = /^[^\p{L}]+|[^\p{L}]+$/gu;
const SEPARATORS = /[^\p{L}\p{N}]+/gu;
const COMBINING_MARKS = /\p{M}/gu;

const commonPasswords = new Set(COMMON_PASSWORDS.map((entry) => entry.toLowerCase()));

// The letters at the heart of each entry ("senha" in "senha@123"), so that the same word wrapped
// in other digits or symbols ("Senha2024!") is caught too.
const commonCores = new Set(
  COMMON_PASSWORDS.map((entry) => lettersCore(entry.toLowerCase())).filter((core) => core !== ''),
);

/**
 * Checks `password` against `policy` and returns every rule it breaks, all at once, so the user
 * can fix everything in one go. An empty list means the password is acceptable.
 *
 * The password is judged exactly as typed: no trimming, no normalisation, no truncation; lengths
 * count Unicode code points. Only the context-word comparison folds case, accents and separators,
 * and that only makes it stricter.
 */
export function checkPassword(
  password: string,
  policy: PasswordPolicy,
  context: PasswordContext = {},
): PasswordViolation[] {
  const broken = new Set<PasswordRule>();
  const length = codePointLength(password);

  if (length < policy.minLength) broken.add('too_short');

  if (length > policy.maxLength) broken.add('too_long');

  if (policy.requireLettersAndDigits) {
    if (!LETTER.test(password)) broken.add('needs_letter');
    if (!DIGIT.test(password)) broken.add('needs_digit');
  }

  if (policy.requireComposition) {
    if (!UPPERCASE.test(password)) broken.add('needs_uppercase');
    if (!LOWERCASE.test(password)) broken.add('needs_lowercase');
    if (!DIGIT.test(password)) broken.add('needs_digit');
    if (!SPECIAL.test(password)) broken.add('needs_special');
    if (longestRun(password) > MAX_REPEATED_CHARACTERS) broken.add('repeated_characters');
  }

  const contextWords = contextWordsOf(context);
  const foldedPassword = fold(password);
  if (contextWords.some((word) => foldedPassword.includes(word))) broken.add('contains_context');

  const strength = estimateStrength(password, contextWords);
  if (isListedCommon(password) || strength.wholeDictionaryWord) broken.add('common');

  if (strength.score < policy.minStrengthScore) broken.add('too_weak');

  return [...broken].map((rule) => ({ rule, message: PASSWORD_RULE_MESSAGES[rule] }));
}

function longestRun(text: string): number {
  let longest = 0;
  let run = 0;
  let previous: string | undefined;
  for (const character of text) {
    run = character === previous ? run + 1 : 1;
    previous = character;
    longest = Math.max(longest, run);
  }
  return longest;
}

function lettersCore(text: string): string {
  return text.replace(NOT_LETTER_EDGES, '');
}

function isListedCommon(password: string): boolean {
  const lower = password.toLowerCase();
  if (commonPasswords.has(lower)) return true;

  const core = lettersCore(lower);
  return core !== '' && commonCores.has(core);
}

/** Lower case, without accents or separators: "Cantina da Nonã" becomes "cantinadanona". */
function fold(text: string): string {
  return text.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase().replace(SEPARATORS, '');
}

/**
 * Every name in the context, whole and split into its words, folded, at least 3 characters long.
 * The whole form catches "pizzariabellanapoli"; the parts catch "Napoli2025".
 */
function contextWordsOf(context: PasswordContext): string[] {
  const names = [
    context.restaurantName,
    context.restaurantSlug,
    context.username,
    context.displayName,
    context.role,
  ];
  const words = new Set<string>();
  for (const name of names) {
    if (name === undefined) continue;
    for (const candidate of [name, ...name.split(SEPARATORS)]) {
      const word = fold(candidate);
      if (codePointLength(word) >= MIN_CONTEXT_WORD_LENGTH) words.add(word);
    }
  }
  return [...words];
}
