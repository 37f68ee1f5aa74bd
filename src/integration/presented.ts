/**
 * What an HTTP request presents to the middlewares, whatever the framework: its key (`Bearer`)
 * and its client's address (the socket's, or a trusted proxy's header).
 */
import { canonicalAddress } from '../decide/ip.js';

export type TrustedProxy = {
  /** The header your proxy sets, e.g. `X-Forwarded-For` or `X-Real-IP`. */
  header: string;
  /** In a comma-separated list, the entry this many from the right: 1 (default) is the one your proxy appended. */
  hops?: number;
};

const SCHEME = 'bearer';
const BLANK = /\s/;

/**
 * The key of an `Authorization: Bearer <key>` header (the scheme in any case, blanks around
 * the key); undefined without one. By hand, not by a regular expression: every request runs it.
 */
export function bearerKey(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length <= SCHEME.length + 1) return undefined;
  if (authorization.slice(0, SCHEME.length).toLowerCase() !== SCHEME || !BLANK.test(authorization[SCHEME.length]!)) return undefined;
  const key = authorization.slice(SCHEME.length + 1).trim();
  return key.length > 0 && !BLANK.test(key) ? key : undefined;
}

/**
 * An address as a header may carry it (`[2001:db8::1]:443`, `192.0.2.1:8080`) reduced to the
 * address, written the one way keyward shows it; undefined when it is none.
 */
function cleanAddress(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim().replace(/^"|"$/g, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  const candidate = bracketed ? bracketed[1]! : /^[\d.]+:\d+$/.test(text) ? text.slice(0, text.lastIndexOf(':')) : text;
  return canonicalAddress(candidate);
}

/**
 * How to read a request's client address: from the socket, or behind a reverse proxy you
 * trust from its header. Only for a proxy that overwrites or appends it: a client can send any
 * header.
 */
export function addressReader<R>(
  proxy: TrustedProxy | undefined,
  header: (request: R, name: string) => string | undefined,
  socket: (request: R) => string | undefined,
): (request: R) => string | undefined {
  if (!proxy) {
    // A socket's address is already one, or none (the parser keeps the last few it read).
    return (request) => {
      const address = socket(request);
      return address === undefined ? undefined : canonicalAddress(address);
    };
  }
  const hops = proxy.hops ?? 1;
  if (!Number.isInteger(hops) || hops < 1) throw new TypeError(`keyward: trustedProxy.hops must be a whole number ≥ 1, got ${String(proxy.hops)}`);
  return (request) => {
    const entries = (header(request, proxy.header) ?? '').split(',');
    return entries.length >= hops ? cleanAddress(entries[entries.length - hops]) : undefined;
  };
}
