/**
 * Where an asset download may follow Checkly's redirect to storage. The asset's URL comes from a
 * result's manifest and its redirect from whatever answers it: followed blindly, it could make the
 * app fetch from inside its own network (a cloud's metadata address, an admin port on loopback). So:
 * `https:` only, and only to a public address, checked on the addresses the host resolves to, and
 * the connection is made to the address checked (a DNS answer that changes in between changes nothing).
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** Why a redirect to `target`, whose host resolved to `address`, is refused; undefined when it may go. */
export type RedirectPolicy = (target: URL, address?: string) => string | undefined;

/** Production's policy: `https:`, to a public unicast address (no private, loopback, link-local, or other special range). */
export const publicHttpsOnly: RedirectPolicy = (target, address) => {
  if (target.protocol !== 'https:') return `not https (${target.protocol.replace(/:$/, '')})`;
  if (address === undefined) return undefined;
  const range = rangeOf(address);
  return range === 'unicast' ? undefined : `to a ${range} address`;
};

/**
 * For tests and the demo, whose fakes serve their storage over http on loopback: that one origin is
 * allowed, any other target goes through production's policy. Never used by the app itself.
 */
export function allowingOrigin(origin: string): RedirectPolicy {
  return (target, address) => (target.origin === new URL(origin).origin ? undefined : publicHttpsOnly(target, address));
}

export interface CheckedTarget {
  url: URL;
  /** Resolves the host to the addresses checked, and only those (axios's `lookup`). */
  lookup: (hostname: string) => Promise<Array<{ address: string; family: number }>>;
}

/**
 * Checks a redirect's target against `policy`, on its URL and on every address its host resolves to
 * (one refused address refuses it: a host that answers both a public and a private one is not
 * trusted). Resolves with what to connect to, or rejects with the reason.
 */
export async function checkRedirect(target: URL, policy: RedirectPolicy): Promise<CheckedTarget> {
  const refusedUrl = policy(target);
  if (refusedUrl !== undefined) throw new Error(refusedUrl);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const addresses = await lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new Error('the host resolves to no address');
  for (const { address } of addresses) {
    const refused = policy(target, address);
    if (refused !== undefined) throw new Error(refused);
  }
  return { url: target, lookup: async () => addresses };
}

/** ipaddr.js's name for an address's range, an IPv4-mapped IPv6 address judged as the IPv4 one it carries. */
function rangeOf(address: string): string {
  if (!ipaddr.isValid(address)) return 'unparsable';
  return ipaddr.process(address).range();
}
