import { BlockList, isIP } from 'node:net';

/** Why an address may not receive a webhook. */
export type RefusedAddress =
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'not_an_address';

type Family = 'ipv4' | 'ipv6';

/**
 * Builds one of Node's `BlockList`s, which match IPv4 rules against IPv4-mapped IPv6 addresses
 * (`::ffff:10.0.0.1`) too; hand-written prefix arithmetic is where SSRF filters usually break.
 */
function blockList(rules: ReadonlyArray<[string, number, Family]>): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of rules) list.addSubnet(network, prefix, family);
  return list;
}

/** Cloud instance metadata services, which hand out credentials to whoever asks. */
const METADATA = blockList([
  ['169.254.169.254', 32, 'ipv4'],
  ['169.254.170.2', 32, 'ipv4'],
  ['fd00:ec2::254', 128, 'ipv6'],
]);

/** Never a webhook receiver, whatever the operator allows. */
const ALWAYS_REFUSED: ReadonlyArray<[RefusedAddress, BlockList]> = [
  ['metadata', METADATA],
  [
    'unspecified',
    blockList([
      ['0.0.0.0', 8, 'ipv4'],
      ['::', 128, 'ipv6'],
    ]),
  ],
  [
    'multicast',
    blockList([
      ['224.0.0.0', 4, 'ipv4'],
      ['ff00::', 8, 'ipv6'],
    ]),
  ],
  [
    // Reserved, benchmarking and broadcast space; NAT64, 6to4 and Teredo prefixes, which embed
    // an IPv4 address this check would otherwise not see (IPv4-mapped addresses are matched
    // against the IPv4 rules by BlockList itself).
    'reserved',
    blockList([
      ['192.0.0.0', 24, 'ipv4'],
      ['198.18.0.0', 15, 'ipv4'],
      ['240.0.0.0', 4, 'ipv4'],
      ['64:ff9b::', 96, 'ipv6'],
      ['64:ff9b:1::', 48, 'ipv6'],
      ['2002::', 16, 'ipv6'],
      ['2001::', 32, 'ipv6'],
      ['100::', 64, 'ipv6'],
    ]),
  ],
];

/** Internal networks: refused unless the operator opts in (an on-premises receiver). */
const INTERNAL: ReadonlyArray<[RefusedAddress, BlockList]> = [
  [
    'loopback',
    blockList([
      ['127.0.0.0', 8, 'ipv4'],
      ['::1', 128, 'ipv6'],
    ]),
  ],
  [
    'private',
    blockList([
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
      ['100.64.0.0', 10, 'ipv4'],
      ['fc00::', 7, 'ipv6'],
      ['fec0::', 10, 'ipv6'],
    ]),
  ],
  [
    'link_local',
    blockList([
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
    ]),
  ],
];

/**
 * Why a webhook must not be sent to `address`, or `null` when it may. Checked for every address a
 * host name resolves to, before any connection is opened. `allowPrivate` (the operator's explicit
 * opt-in) admits loopback, private and link-local networks, never metadata services.
 */
export function refusedAddress(address: string, allowPrivate: boolean): RefusedAddress | null {
  const version = isIP(address);
  if (version === 0) return 'not_an_address';
  const family: Family = version === 4 ? 'ipv4' : 'ipv6';

  for (const [reason, list] of ALWAYS_REFUSED) {
    if (list.check(address, family)) return reason;
  }
  if (allowPrivate) return null;
  for (const [reason, list] of INTERNAL) {
    if (list.check(address, family)) return reason;
  }
  return null;
}
