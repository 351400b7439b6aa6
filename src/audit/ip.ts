import { isIPv4, isIPv6 } from 'node:net';

import { hmacSha256Hex } from '../security/crypto/index.js';

/**
 * Stored addresses are anonymized (IPv4 to its /24, IPv6 to its /48) so the trail does not hold
 * personal data beyond need; a keyed hash of the full address sits beside it so that events
 * from one source can still be correlated without revealing the address.
 */
export function anonymizeIp(ip: string): string | null {
  const address = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(address)) {
    const [a, b, c] = address.split('.');
    return `${a}.${b}.${c}.0/24`;
  }
  if (isIPv6(address)) {
    const groups = expandIpv6(address).slice(0, 3);
    return `${groups.join(':')}::/48`;
  }
  return null;
}

export function hashIp(key: Buffer, ip: string): string {
  return hmacSha256Hex(key, `ip:${ip}`);
}

function expandIpv6(address: string): string[] {
  const withoutZone = address.split('%')[0] ?? address;
  const [head = '', tail = ''] = withoutZone.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = withoutZone.includes('::') && tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tailGroups];
  return groups.map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''));
}
