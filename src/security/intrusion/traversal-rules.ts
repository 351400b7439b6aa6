/* eslint-disable security/detect-unsafe-regex -- the rule's star-height heuristic also flags
   optional groups such as `(?:\s+all)?` that cannot backtrack; every pattern here is held to
   linear time by the adversarial-input tests in detector.test.ts instead. */
/**
 * Path-traversal probes: `..` steps that climb out of a directory (also `....//`, which survives
 * a filter that strips `../` once, and Tomcat's `..;/`), or absolute paths to files that only
 * an attacker asks for. An address such as "Rua das Flores, 12 - fundos/andar 2" has slashes
 * but never a climbing step; an ellipsis ("sim.../não") follows a word, not a separator.
 */

/** Slash look-alikes that some decoders fold into a real separator. */
const SLASH_LOOKALIKES = /[\u2044\u2215\u29f8]/g;
const BACKSLASH_LOOKALIKES = /[\u2216\u29f9]/g;

const TRAVERSAL_RULES: readonly RegExp[] = [
  // A climbing step at the start of the value, of a segment or of a parameter value.
  /(?:^|[/=:'"(])\.{2,4}(?:;[^/?#]{0,20})?\//,

  // Two climbing steps in a row, wherever they are.
  /\.{2,4}\/+\.{2,4}\//,

  // One step that lands on a directory or file worth stealing.
  /\.{2,4}\/+(?:etc|windows|winnt|win\.ini|boot\.ini|system32|proc|var|usr|root|home|tmp|boot|inetpub|web-inf|meta-inf|\.env|\.git|\.ssh|\.ht(?:access|passwd)|wp-config)/,

  // Absolute paths to well-known sensitive files.
  /(?:^|[^\w.-])\/etc\/(?:passwd|shadow|group|hosts|issue|hostname|sudoers|crontab|fstab|motd|resolv\.conf|(?:mysql|nginx|apache2?|httpd|ssh)\/)/,
  /(?:^|[^\w.-])\/proc\/(?:self|\d+)\//,
  /(?:^|[^\w])[a-z]:\/+(?:windows|winnt|boot\.ini|inetpub|system32|users\/[^/]{1,40}\/ntuser)/,
  /(?:^|[^\w.-])\/(?:windows|winnt)\/(?:win\.ini|system\.ini|system32|repair)/,
  /(?:^|[^\w.-])\/(?:root|home\/[^/\s]{1,40})\/\.(?:ssh|bash_history|aws)\b/,
  /(?:^|[^\w.-])\/var\/log\/(?:apache2?|nginx|httpd|auth\.log|syslog)/,
  /\bweb-inf\/web\.xml\b/,
  /\bfile:\/{2,3}/,
];

/** True when the decoded, lower-cased text carries a path-traversal probe. */
export function looksLikePathTraversal(decoded: string): boolean {
  const path = decoded
    .replaceAll('\0', '')
    .replace(SLASH_LOOKALIKES, '/')
    .replace(BACKSLASH_LOOKALIKES, '/')
    .replaceAll('\\', '/');

  return TRAVERSAL_RULES.some((rule) => rule.test(path));
}
