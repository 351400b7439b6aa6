/**
 * The longest password anything in the system accepts, in Unicode code points. Policies may set a
 * lower maximum, never a higher one: the hasher refuses to hash a longer password and treats one
 * presented at login as wrong.
 */
export const MAX_PASSWORD_LENGTH = 128;

/** Length as people count it: an emoji or an accented letter is one character. */
export function codePointLength(text: string): number {
  return Array.from(text).length;
}
