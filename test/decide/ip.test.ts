/** Allow lists: IPv4, IPv6 and IPv4-mapped IPv6, at the edges of /0, /32 and /128. */
import { describe, expect, it } from 'vitest';
import { canonicalAddress, compileAllowList, parseAddress, parseRange } from '../../src/decide/ip.js';

const allows = (list: string[], ip: string | undefined) => compileAllowList(list).allows(ip);

describe('AllowList.allows', () => {
  it('matches /0 to every address of its family and none of the other', () => {
    for (const ip of ['0.0.0.0', '10.1.2.3', '255.255.255.255', '::ffff:192.0.2.1']) expect(allows(['0.0.0.0/0'], ip), ip).toBe(true);
    for (const ip of ['::1', '2001:db8::1']) expect(allows(['0.0.0.0/0'], ip), ip).toBe(false);
    for (const ip of ['::', '::1', '2001:db8::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']) expect(allows(['::/0'], ip), ip).toBe(true);
    expect(allows(['::/0'], '192.0.2.1')).toBe(false);
  });

  it('matches /32 and /128 to exactly one address', () => {
    expect(allows(['192.0.2.7/32'], '192.0.2.7')).toBe(true);
    expect(allows(['192.0.2.7/32'], '192.0.2.6')).toBe(false);
    expect(allows(['192.0.2.7/32'], '192.0.2.8')).toBe(false);
    expect(allows(['192.0.2.7'], '192.0.2.7')).toBe(true);
    expect(allows(['2001:db8::7/128'], '2001:db8::7')).toBe(true);
    expect(allows(['2001:db8::7/128'], '2001:db8:0:0:0:0:0:7')).toBe(true);
    expect(allows(['2001:db8::7/128'], '2001:db8::8')).toBe(false);
    expect(allows(['2001:db8::7'], '2001:db8::6')).toBe(false);
  });

  it('matches the edges of a range and not one past them', () => {
    expect(allows(['10.0.0.0/8'], '10.0.0.0')).toBe(true);
    expect(allows(['10.0.0.0/8'], '10.255.255.255')).toBe(true);
    expect(allows(['10.0.0.0/8'], '11.0.0.0')).toBe(false);
    expect(allows(['10.0.0.0/8'], '9.255.255.255')).toBe(false);
    expect(allows(['2001:db8::/32'], '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(allows(['2001:db8::/32'], '2001:db9::')).toBe(false);
  });

  it('treats an IPv4-mapped IPv6 client as its IPv4 address, and a mapped range as its IPv4 range', () => {
    expect(allows(['192.0.2.0/24'], '::ffff:192.0.2.200')).toBe(true);
    expect(allows(['192.0.2.0/24'], '::ffff:c000:2c8')).toBe(true);
    expect(allows(['192.0.2.0/24'], '::ffff:192.0.3.1')).toBe(false);
    expect(allows(['::ffff:192.0.2.0/120'], '192.0.2.9')).toBe(true);
    expect(allows(['::ffff:192.0.2.0/120'], '192.0.3.9')).toBe(false);
    expect(allows(['::ffff:192.0.2.9'], '192.0.2.9')).toBe(true);
  });

  it('reads an IPv4-compatible address (`::192.0.2.9`, no ffff) as the IPv6 address it is, written either way', () => {
    // ipaddr.js alone reads `::a.b.c.d` as `::ffff:a.b.c.d`, so it matched IPv4 rules.
    expect(allows(['192.0.2.0/24'], '::192.0.2.9')).toBe(false);
    expect(allows(['192.0.2.0/24'], '::c000:209')).toBe(false);
    expect(allows(['::c000:200/120'], '::192.0.2.9')).toBe(true);
    expect(allows(['::c000:200/120'], '::192.0.2.9%eth0')).toBe(true);
    expect(compileAllowList(['::10.0.0.0/104']).cidrs).toEqual(['::a00:0/104']);
    expect(allows(['10.0.0.0/8'], '64:ff9b::10.0.0.1')).toBe(false);
  });

  it('refuses a missing address and anything that is not one', () => {
    for (const ip of [undefined, '', 'localhost', '10.1', '0x0a.0.0.1', '010.0.0.1', '10.0.0.256', '10.0.0.1/32', ' 10.0.0.1', '1:2']) {
      expect(allows(['0.0.0.0/0', '::/0'], ip), String(ip)).toBe(false);
    }
  });

  it('keeps its ranges as canonical CIDRs, for a replica to be sent', () => {
    expect(compileAllowList(['10.0.0.0/8', '2001:0db8::/32', '::ffff:192.0.2.0/120', '192.0.2.7']).cidrs).toEqual(['10.0.0.0/8', '2001:db8::/32', '192.0.2.0/24', '192.0.2.7/32']);
  });

  it('answers the same for an address asked again, also one that is no address', () => {
    const list = compileAllowList(['10.0.0.0/8']);
    for (let i = 0; i < 2; i++) {
      expect(list.allows('10.9.8.7')).toBe(true);
      expect(list.allows('10.9.8')).toBe(false);
      expect(parseAddress('10.9.8')).toBeUndefined();
    }
  });

  it('matches an address with a zone by the address', () => {
    expect(allows(['fe80::/10'], 'fe80::1%eth0')).toBe(true);
  });
});

describe('parseRange', () => {
  it('gives canonical CIDRs', () => {
    const canonical = (text: string) => {
      const parsed = parseRange(text);
      return 'canonical' in parsed ? parsed.canonical : parsed.problem;
    };
    expect(canonical('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(canonical('192.0.2.1')).toBe('192.0.2.1/32');
    expect(canonical('2001:0DB8:0000::/32')).toBe('2001:db8::/32');
    expect(canonical('::1')).toBe('::1/128');
    expect(canonical('::ffff:10.0.0.0/104')).toBe('10.0.0.0/8');
    expect(canonical('0.0.0.0/0')).toBe('0.0.0.0/0');
  });

  it('explains what is wrong with a bad entry', () => {
    const problem = (text: string) => {
      const parsed = parseRange(text);
      return 'problem' in parsed ? parsed.problem : 'accepted';
    };
    expect(problem('10.0.0.1/8')).toMatch(/host bits set; the network is 10\.0\.0\.0\/8/);
    expect(problem('2001:db8::1/32')).toMatch(/host bits set; the network is 2001:db8::\/32/);
    expect(problem('10.0.0.0/33')).toMatch(/prefix length over 32/);
    expect(problem('::/129')).toMatch(/prefix length over 128/);
    expect(problem('10.0.0.0/x')).toMatch(/not a number/);
    expect(problem('10.0.0.0/')).toMatch(/not a number/);
    expect(problem('10.0.0.0/8/8')).toMatch(/not a number/);
    expect(problem('::ffff:0.0.0.0/80')).toMatch(/shorter than \/96/);
    for (const text of ['', 'example.com', '10.1/8', 'fe80::1%eth0/64']) expect(problem(text), text).toMatch(/must be an IPv4 or IPv6/);
  });
});

describe('parseAddress', () => {
  it('reads IPv4 only in four-part decimal', () => {
    expect(parseAddress('127.0.0.1')?.toString()).toBe('127.0.0.1');
    expect(parseAddress('127.1')).toBeUndefined();
    expect(parseAddress('2130706433')).toBeUndefined();
  });

  it('reads nothing longer than 64 characters as an address, as the daemon takes none', () => {
    const zoned = `fe80::1%${'a'.repeat(64 - 'fe80::1%'.length)}`;
    expect(parseAddress(zoned)).toBeDefined();
    expect(parseAddress(`${zoned}a`)).toBeUndefined();
  });
});

describe('canonicalAddress', () => {
  it('writes an address the one way keyward shows it, and nothing for text that is none', () => {
    expect(canonicalAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('::FFFF:7f00:1')).toBe('127.0.0.1');
    expect(canonicalAddress('2001:DB8:0:0::5')).toBe('2001:db8::5');
    expect(canonicalAddress('192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalAddress('fe80::1%eth0')).toBe('fe80::1%eth0');
    // IPv4-compatible (::10.0.0.1) is another address than IPv4-mapped, and stays IPv6.
    expect(canonicalAddress('::10.0.0.1')).toBe('::a00:1');
    for (const text of ['', '127.1', 'example.com', '10.0.0.1:80']) expect(canonicalAddress(text), text).toBeUndefined();
  });
});
