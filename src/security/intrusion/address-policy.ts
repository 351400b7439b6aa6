import { BlockList as NetBlockList, isIP } from 'node:net';

import { normalizeIP } from '@fastify/rate-limit';

/** proxy-addr's named ranges, which CHEFIA_TRUSTED_PROXIES may use like Fastify does. */
const LOOPBACK = ['127.0.0.0/8', '::1/128'];
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: LOOPBACK,
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * Which client addresses may be blocked. Loopback, the unspecified address and the configured
 * trusted proxies never are: every request through them would be refused, so one probe relayed
 * by a proxy whose `X-Forwarded-For` is not trusted could shut out every client behind it. Probes
 * from them are still refused and audited, only the block is skipped. Tests therefore probe from
 * documentation addresses (203.0.113.0/24), never from 127.0.0.1.
 */
export class AddressPolicy {
  readonly #neverBlocked = new NetBlockList();

  constructor(trustedProxies: readonly string[]) {
    for (const range of [...LOOPBACK, '0.0.0.0/32', '::/128']) this.#add(range);
    for (const entry of trustedProxies) {
      for (const range of NAMED_RANGES[entry] ?? [entry]) this.#add(range);
    }
  }

  /** True when an address (as `normalizeAddress` returns it) may be blocked. */
  isBlockable(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    return !this.#neverBlocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  #add(range: string): void {
    const [address = '', prefix] = range.split('/');
    const family = isIP(address);
    if (family === 0) return;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      this.#neverBlocked.addAddress(address, type);
      return;
    }
    const bits = Number(prefix);
    if (Number.isInteger(bits)) this.#neverBlocked.addSubnet(address, bits, type);
  }
}

/**
 * An address typed by an admin, in the form blocks are kept (IPv4 as is, IPv6 as its /64, as
 * `clientAddress` reads requests). Returns null for anything that is not an IP address.
 */
export function normalizeAddress(text: string): string | null {
  const trimmed = text.trim();
  if (isIP(trimmed) === 0) return null;
  return normalizeIP(trimmed);
}
