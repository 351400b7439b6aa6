import { AppError } from '../../core/errors.js';

/*
 * Primary account number (PAN) helpers for manually keyed cards (SPEC 5.6). The Luhn check and
 * the brand table are written here because they are a few lines each and the packages that do
 * this (`card-validator`, `credit-card-type`) are not among the project's dependencies.
 */

export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'elo' | 'hipercard' | 'other';

const SEPARATORS = /[\s-]/g;
const PAN_PATTERN = /^\d{13,19}$/;
const DIGITS_PATTERN = /^\d+$/;
const VISIBLE_PREFIX = 6;
const VISIBLE_SUFFIX = 4;

/** Six-digit ranges (inclusive) issued to Elo; some sit inside Visa's 4 and Discover's 65. */
const ELO_RANGES: ReadonlyArray<readonly [number, number]> = [
  [401178, 401179],
  [431274, 431274],
  [438935, 438935],
  [451416, 451416],
  [457393, 457393],
  [457631, 457632],
  [504175, 504175],
  [506699, 506778],
  [509000, 509999],
  [627780, 627780],
  [636297, 636297],
  [636368, 636368],
  [650031, 650033],
  [650035, 650051],
  [650405, 650439],
  [650485, 650538],
  [650541, 650598],
  [650700, 650718],
  [650720, 650727],
  [650901, 650978],
  [651652, 651679],
  [655000, 655019],
  [655021, 655058],
];

const HIPERCARD_PREFIXES = ['606282', '384100', '384140', '384160'];

/** True when `digits` is a non-empty string of digits whose Luhn (mod 10) check passes. */
export function luhnValid(digits: string): boolean {
  if (!DIGITS_PATTERN.test(digits)) {
    return false;
  }

  let sum = 0;
  for (let fromRight = 0; fromRight < digits.length; fromRight++) {
    let digit = digits.charCodeAt(digits.length - 1 - fromRight) - 48;
    if (fromRight % 2 === 1) {
      digit *= 2;
      if (digit > 9) {
        digit -= 9;
      }
    }
    sum += digit;
  }

  return sum % 10 === 0;
}

/**
 * The PAN as bare digits: spaces and dashes removed, 13 to 19 digits, passing Luhn. Anything
 * else throws POS_ERR_INVALID_CARD_NUMBER, whose message never repeats the input.
 */
export function normalizePan(input: string): string {
  const pan = input.replace(SEPARATORS, '');
  if (!PAN_PATTERN.test(pan) || !luhnValid(pan)) {
    throw new AppError('POS_ERR_INVALID_CARD_NUMBER');
  }

  return pan;
}

/**
 * The PAN as it may be displayed: first 6 and last 4 digits, every other digit an asterisk
 * (`411111******1111`). PCI DSS 3.4.1 allows no more than that, so at most 10 digits show,
 * whatever the length. Throws POS_ERR_INVALID_CARD_NUMBER for anything but 13 to 19 digits.
 */
export function maskPan(pan: string): string {
  const digits = pan.replace(SEPARATORS, '');
  if (!PAN_PATTERN.test(digits)) {
    throw new AppError('POS_ERR_INVALID_CARD_NUMBER');
  }

  const hidden = digits.length - VISIBLE_PREFIX - VISIBLE_SUFFIX;
  return digits.slice(0, VISIBLE_PREFIX) + '*'.repeat(hidden) + digits.slice(-VISIBLE_SUFFIX);
}

/**
 * The card brand read from the PAN's leading digits. Best effort, for display and reports;
 * the terminal or acquirer has the last word. Elo and Hipercard are checked first because
 * their ranges overlap the broader Visa and Discover prefixes.
 */
export function cardBrand(pan: string): CardBrand {
  const digits = pan.replace(SEPARATORS, '');
  if (!DIGITS_PATTERN.test(digits) || digits.length < 6) {
    return 'other';
  }

  const bin = Number(digits.slice(0, 6));
  if (ELO_RANGES.some(([low, high]) => bin >= low && bin <= high)) {
    return 'elo';
  }

  if (HIPERCARD_PREFIXES.some((prefix) => digits.startsWith(prefix))) {
    return 'hipercard';
  }

  if (digits.startsWith('34') || digits.startsWith('37')) {
    return 'amex';
  }

  const firstFour = Number(digits.slice(0, 4));
  const firstTwo = Number(digits.slice(0, 2));
  if ((firstTwo >= 51 && firstTwo <= 55) || (firstFour >= 2221 && firstFour <= 2720)) {
    return 'mastercard';
  }

  if (digits.startsWith('4')) {
    return 'visa';
  }

  return 'other';
}
