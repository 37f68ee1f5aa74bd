/**
 * The `Host` check against DNS rebinding (see docs/api.md): a browser page on an attacker's
 * name that resolves to 127.0.0.1 reaches the daemon with its own name in `Host`, so only
 * loopback names and addresses, plus names the operator allowed with `--allow-host`, are
 * served. Pure: the Hono middleware and any lower layer (node:http) call `checkHost`.
 */
import ipaddr from 'ipaddr.js';
import { KeywardError } from '../errors.js';

/** Hostnames (lower case, no port) served besides the loopback ones. */
export type HostPolicy = { readonly allowed: ReadonlySet<string> };

/** A policy allowing `names` (as given to `--allow-host`) besides loopback. */
export function hostPolicy(names: Iterable<string> = []): HostPolicy {
  return { allowed: new Set([...names].map((n) => n.toLowerCase())) };
}

/** True for `localhost` and any loopback IPv4 or IPv6 address (also IPv4-mapped). */
export function isLoopback(hostname: string): boolean {
  const name = hostname.toLowerCase();
  if (name === 'localhost') return true;
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  // Only the canonical forms a client puts in a URL; `0x7f.1` and friends are not addresses here.
  if (!ipaddr.IPv4.isValidFourPartDecimal(bare) && !ipaddr.IPv6.isValid(bare)) return false;
  return ipaddr.process(bare).range() === 'loopback';
}

/** The hostname of a `Host` header value: `name`, `name:port`, `[v6]` or `[v6]:port`. */
export function hostnameOf(host: string): string | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(host.trim());
  return match ? match[1]!.replace(/^\[|\]$/g, '').toLowerCase() : undefined;
}

/**
 * The refusal for a request carrying this `Host` header, or undefined when it may be served:
 * 400 when there is none (HTTP/1.1 requires it), 403 when it names anything but loopback or
 * an allowed name.
 */
export function checkHost(host: string | undefined, policy: HostPolicy): KeywardError | undefined {
  if (host === undefined || host === '') return new KeywardError('invalid_request', 'The Host header is required');
  const name = hostnameOf(host);
  if (name !== undefined && (isLoopback(name) || policy.allowed.has(name))) return undefined;
  return new KeywardError(
    'forbidden',
    `Requests must be addressed to a loopback name or address, not "${host.slice(0, 100)}" (start the daemon with --allow-host NAME to serve another name)`,
  );
}
