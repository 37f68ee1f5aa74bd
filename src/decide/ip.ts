/**
 * Client addresses against a key's allow list of CIDRs, with ipaddr.js. IPv4 is read only in
 * four-part decimal (`10.0.0.1`, never `10.1` or `0x0a.0.0.1`, which other parsers read as
 * other addresses). An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address it
 * carries, both as a client address and in a list, so a dual-stack socket matches IPv4 rules.
 */
import ipaddr from 'ipaddr.js';

export const ALLOWED_IPS_MAX = 64;
/** The longest text read as a client address (a full IPv6 address with a zone id fits). */
export const IP_MAX = 64;

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** One allow-list entry, parsed once when the key is loaded. */
export type IpRange = [Address, number];

/** The IPv4 address an IPv4-mapped IPv6 address stands for; any other address as it is. */
function unmapped(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

function parse(text: string): Address | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!text.includes(':')) return undefined;
  const v6 = text.includes('.') ? dottedTailAsHex(text) : text;
  if (v6 === undefined || !ipaddr.IPv6.isValid(v6)) return undefined;
  return unmapped(ipaddr.IPv6.parse(v6));
}

/**
 * An IPv6 address whose last 32 bits are written as IPv4 (`::ffff:10.0.0.1`), with those bits
 * as the two hex groups they are. ipaddr.js reads `::10.0.0.1` (IPv4-compatible, a different
 * address) as `::ffff:10.0.0.1`, which would let it match IPv4 rules.
 */
function dottedTailAsHex(text: string): string | undefined {
  const zone = text.indexOf('%');
  const address = zone === -1 ? text : text.slice(0, zone);
  const colon = address.lastIndexOf(':');
  const tail = address.slice(colon + 1);
  if (!ipaddr.IPv4.isValidFourPartDecimal(tail)) return undefined;
  const [a, b, c, d] = ipaddr.IPv4.parse(tail).octets as [number, number, number, number];
  const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  return address.slice(0, colon + 1) + hex + (zone === -1 ? '' : text.slice(zone));
}

/**
 * A client address as matching reads it: the address, an IPv4 address as a 32-bit number too,
 * and the address written the one way keyward shows it (an IPv4-mapped one as IPv4).
 */
type Client = { address: Address; v4: number | undefined; text: string };

function clientOf(address: Address | undefined): Client | undefined {
  return address && { address, v4: address.kind() === 'ipv4' ? v4Number(address as ipaddr.IPv4) : undefined, text: address.toString() };
}

function v4Number(address: ipaddr.IPv4): number {
  const [a, b, c, d] = address.octets as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/**
 * Client addresses parsed lately. The same clients verify again and again, and parsing one
 * measured ~2 µs, most of what an allow list adds to a verify (~30 µs); a lookup here is a
 * few hundredths of that. Bounded: when full it starts over.
 */
const recent = new Map<string, Client | null>();
const RECENT_MAX = 4096;

function client(text: string): Client | undefined {
  // Longer text is no address (and, from a header, would fill the map with kilobytes a line).
  if (text.length > IP_MAX) return undefined;
  // One lookup: text that is no address is remembered as null.
  const known = recent.get(text);
  if (known !== undefined) return known ?? undefined;
  if (recent.size >= RECENT_MAX) recent.clear();
  const parsed = clientOf(parse(text));
  recent.set(text, parsed ?? null);
  return parsed;
}

/** `text` as an address, or undefined when it is not one in a form keyward accepts. */
export function parseAddress(text: string): Address | undefined {
  return client(text)?.address;
}

/**
 * `text` written as keyward shows an address (`::ffff:192.0.2.1` as `192.0.2.1`, IPv6 in its
 * short form), or undefined when it is none: a dual-stack socket's IPv4 clients then appear in
 * the usage callers as the addresses their allow lists name.
 */
export function canonicalAddress(text: string): string | undefined {
  return client(text)?.text;
}

export type ParsedRange = { range: IpRange; canonical: string } | { problem: string };

/**
 * One allow-list entry: a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a single address (taken as
 * /32 or /128). A CIDR with host bits set (`10.0.0.1/8`) is refused rather than silently
 * widened or narrowed: it is usually a typo.
 */
export function parseRange(text: string): ParsedRange {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  const parsed = parseAddress(addressText);
  if (!parsed || addressText.includes('%')) return { problem: 'must be an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32' };
  const written = addressText.includes(':') ? 128 : 32;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return { problem: 'has a prefix length that is not a number' };
  let prefix = prefixText === undefined ? written : Number(prefixText);
  if (prefix > written) return { problem: `has a prefix length over ${written}` };
  // ::ffff:10.0.0.0/104 is 10.0.0.0/8; a shorter prefix reaches past the mapped block.
  if (written === 128 && parsed.kind() === 'ipv4') {
    if (prefix < 96) return { problem: 'is an IPv4-mapped range shorter than /96; write the IPv4 or IPv6 range itself' };
    prefix -= 96;
  }
  const cidr = `${parsed.toString()}/${prefix}`;
  const network = parsed.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  if (network.toString() !== parsed.toString()) return { problem: `has host bits set; the network is ${network.toString()}/${prefix}` };
  return { range: [parsed, prefix], canonical: cidr };
}

/** `text` as a range, or undefined when it is not one. */
export function rangeOf(text: string): IpRange | undefined {
  const parsed = parseRange(text);
  return 'range' in parsed ? parsed.range : undefined;
}

/** Whether every address of `inner` is in `outer`. */
export function rangeContains(outer: IpRange, inner: IpRange): boolean {
  return outer[0].kind() === inner[0].kind() && outer[1] <= inner[1] && inner[0].match(outer);
}

/**
 * Whether every address of `inner` is in one of `ranges` together: `10.0.0.0/8` is covered by
 * `10.0.0.0/9, 10.128.0.0/9`, which no one of them contains. Two CIDR ranges are nested or
 * apart, so a range no entry contains is covered only if both its halves are.
 */
function rangeCovered(inner: IpRange, ranges: readonly IpRange[]): boolean {
  if (ranges.some((r) => rangeContains(r, inner))) return true;
  const within = ranges.filter((r) => rangeContains(inner, r));
  if (within.length === 0) return false;
  const [low, high] = halves(inner);
  return rangeCovered(low, within) && rangeCovered(high, within);
}

/**
 * The entries of the allow list `before` that `after` no longer allows in full (an entry that
 * is no range counts as lost: when in doubt, narrowing). One reading for the daemon's narrowing
 * decision and the TUI's edit question; spaces around an entry, as typed in a list, are not its.
 */
export function rangesLost(before: readonly string[], after: readonly string[]): string[] {
  const kept = after.map((entry) => rangeOf(entry.trim())).filter((range) => range !== undefined);
  return before.filter((entry) => {
    const range = rangeOf(entry.trim());
    return range === undefined || !rangeCovered(range, kept);
  });
}

/** The two ranges one bit longer that make up `range` (whose prefix is shorter than its address). */
function halves([address, prefix]: IpRange): [IpRange, IpRange] {
  const bytes = address.toByteArray();
  bytes[prefix >> 3]! |= 0x80 >> (prefix & 7);
  return [
    [address, prefix + 1],
    [ipaddr.fromByteArray(bytes) as Address, prefix + 1],
  ];
}

/**
 * A key's allow list compiled for verify, once per write: an IPv4 range as a 32-bit network
 * and mask (a verify compares two numbers a range; ipaddr.js's `match` walked the octets),
 * an IPv6 range for ipaddr.js.
 */
export class AllowList {
  /** Network and mask of each IPv4 range, in turn. */
  private readonly v4: number[] = [];
  private readonly v6: [ipaddr.IPv6, number][] = [];
  /** The ranges as canonical CIDRs, in the list's order. */
  readonly cidrs: readonly string[];

  constructor(ranges: readonly { range: IpRange; canonical: string }[]) {
    this.cidrs = ranges.map((r) => r.canonical);
    for (const { range: [address, prefix] } of ranges) {
      if (address.kind() === 'ipv6') this.v6.push([address as ipaddr.IPv6, prefix]);
      else this.v4.push(v4Number(address as ipaddr.IPv4), prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0);
    }
  }

  /** Whether `ip` is inside one of the ranges; no address, or one that does not parse, is not. */
  allows(ip: string | undefined): boolean {
    const from = ip === undefined ? undefined : client(ip);
    if (!from) return false;
    const { v4 } = from;
    if (v4 === undefined) return this.v6.some((range) => from.address.match(range));
    for (let i = 0; i < this.v4.length; i += 2) if ((v4 & this.v4[i + 1]!) >>> 0 === this.v4[i]) return true;
    return false;
  }
}

/** The compiled form of a stored (already validated) allow list. */
export function compileAllowList(entries: readonly string[]): AllowList {
  return new AllowList(
    entries.map((entry) => {
      const parsed = parseRange(entry);
      if ('problem' in parsed) throw new TypeError(`allow-list entry ${JSON.stringify(entry)} ${parsed.problem}`);
      return parsed;
    }),
  );
}
