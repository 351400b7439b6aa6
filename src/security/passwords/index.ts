export { COMMON_PASSWORDS } from './common-passwords.js';
export {
  countingHasher,
  createPasswordHasher,
  DEFAULT_HASH_PARAMS,
  hashScheme,
  TEST_HASH_PARAMS,
} from './hashing.js';
export type { HashingCounts, HashParams, HashScheme, PasswordHasher } from './hashing.js';
export {
  checkPassword,
  DEFAULT_CUSTOMER_POLICY,
  DEFAULT_STAFF_POLICY,
  PASSWORD_RULE_MESSAGES,
} from './policy.js';
export type { PasswordContext, PasswordPolicy, PasswordRule, PasswordViolation } from './policy.js';
export { MAX_PASSWORD_LENGTH } from './limits.js';
export { warmUpPasswordChecker } from './strength.js';
