import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type { Score } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import * as zxcvbnPtBr from '@zxcvbn-ts/language-pt-br';

import { COMMON_PASSWORDS } from './common-passwords.js';

/** What zxcvbn concluded about a password, reduced to what the policy needs. */
export interface StrengthEstimate {
  score: Score;
  /** One dictionary word (any list but the user's own inputs) makes up the whole password. */
  wholeDictionaryWord: boolean;
}

const SHIPPED_DICTIONARY = 'chefia-common-passwords';

/*
 * zxcvbn runs synchronously on the event loop, so its worst case bounds the request. Two knobs
 * keep it bounded. It tries at most 6 l33t substitutions instead of 100, which still recognises
 * `p4$$w0rd`. And it reads only the first 64 characters: with the defaults a 128-character
 * l33t-heavy password took about 4 s; with these the worst case measured stays within a few
 * hundred milliseconds and a typical password takes tens. Cutting the analysis short in practice
 * only lowers a score (more characters do not make a password easier to guess), so it errs toward
 * rejecting; the length rules still look at the whole password.
 */
const ANALYSED_LENGTH = 64;
const L33T_MAX_SUBSTITUTIONS = 6;

let factory: ZxcvbnFactory | undefined;

/*
 * Building the ranked dictionaries takes roughly half a second, so it happens once, on first use
 * (or at start-up through `warmUpPasswordChecker`), and every later check reuses it.
 */
function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    dictionary: {
      ...zxcvbnCommon.dictionary,
      ...zxcvbnEn.dictionary,
      ...zxcvbnPtBr.dictionary,
      [SHIPPED_DICTIONARY]: [...COMMON_PASSWORDS],
    },
    graphs: zxcvbnCommon.adjacencyGraphs,
    maxLength: ANALYSED_LENGTH,
    l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
  });
  return factory;
}

/** Builds the zxcvbn dictionaries now so the first password check is not the slow one. */
export function warmUpPasswordChecker(): void {
  zxcvbn();
}

/**
 * Scores `password` with zxcvbn. `userInputs` are words the password must not lean on (restaurant,
 * user and role names); zxcvbn treats them as a dictionary of their own.
 */
export function estimateStrength(
  password: string,
  userInputs: readonly string[],
): StrengthEstimate {
  const result = zxcvbn().check(password, [...userInputs]);
  const [only, ...rest] = result.sequence;

  const wholeDictionaryWord =
    only !== undefined &&
    rest.length === 0 &&
    only.pattern === 'dictionary' &&
    only.dictionaryName !== 'userInputs' &&
    only.i === 0 &&
    only.j === password.length - 1;

  return { score: result.score, wholeDictionaryWord };
}
