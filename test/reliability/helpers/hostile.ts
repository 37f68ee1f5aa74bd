/**
 * fast-check arbitraries for what a hostile or broken client sends: random JSON, wrong types,
 * huge and deeply nested bodies, invalid UTF-8, control and bidi characters, prototype keys,
 * junk paths, queries, methods, content types and tokens. Pure: building requests, no I/O.
 */
import fc from 'fast-check';
import { METHODS } from 'node:http';
import type { RawRequest } from './raw-http.js';

/** Characters that have fooled parsers, terminals or uniqueness checks. */
const TRICKY_CHARS = [
  '\u0000', '\u0007', '\u001b[31m', '\r', '\n', '\t', '\u007f', '\u0085', '\u009b',
  '\u200b', '\u200d', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069', '\u2028', '\u2029', '\ufeff',
  '\ud800', '\udfff', 'e\u0301', '\u{1F600}', '\u0130', 'ß', '\\', '"', "'", '%', '%00', '../', '<script>', '${x}', ' ',
];

export const trickyString = fc
  .array(fc.oneof(fc.constantFrom(...TRICKY_CHARS), fc.string({ maxLength: 4, unit: 'binary' })), { maxLength: 12 })
  .map((parts) => parts.join(''));

const anyString = fc.oneof(
  { weight: 3, arbitrary: trickyString },
  { weight: 2, arbitrary: fc.string({ maxLength: 80, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 600 }).map((n) => 'n'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'admin', 'billing', 'BILLING') },
);

/** Field names the routes know, and some that break naive object handling. */
const FIELDS = ['name', 'expiresAt', 'key', 'caller', 'from', 'force', 'keepOld', 'at', 'role', '__proto__', 'constructor', 'prototype'];
const STEPS = ['update_systems', 'verify_new', 'deactivate_old', 'double_check', 'delete_old', 'completed', 'cancelled'];

const fieldValue = fc.oneof(
  anyString,
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...STEPS, 'admin', 'viewer', 'service', 'manager', 'root', true, false, null, 0, -1, 1e308, 'kw_', 'kwo_'),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer(),
  fc.double(),
);

/** Percent-encodes all but unreserved bytes; lone surrogates go as UTF-8 would carry them. */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[\w.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).padStart(2, '0'))).join('');
}

const jsonText = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null');

/** Byte sequences no UTF-8 decoder may accept. */
const INVALID_UTF8 = [[0xff], [0xfe], [0x80], [0xc0, 0x80], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]];

export type BodyKind = 'none' | 'fields' | 'json' | 'nested' | 'huge' | 'invalid-utf8' | 'bytes' | 'malformed';
export type Body = { kind: BodyKind; bytes?: Buffer };

const bodies: fc.Arbitrary<Body> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 8,
    arbitrary: fc
      .dictionary(fc.oneof(fc.constantFrom(...FIELDS), anyString), fieldValue, { maxKeys: 4 })
      .map((fields) => ({ kind: 'fields' as const, bytes: jsonText(fields) })),
  },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => ({ kind: 'json' as const, bytes: jsonText(v) })) },
  {
    weight: 2,
    arbitrary: fc.record({ depth: fc.integer({ min: 100, max: 40_000 }), open: fc.constantFrom('[', '{"name":', '{"a":[') }).map(({ depth, open }) => {
      const close = open === '[' ? ']' : open === '{"name":' ? '}' : ']}';
      return { kind: 'nested' as const, bytes: Buffer.from(`${open.repeat(depth)}1${close.repeat(depth)}`) };
    }),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 64 * 1024 - 64, max: 1024 * 1024 }).map((size) => ({
      kind: 'huge' as const,
      bytes: Buffer.from(`{"name":"${'x'.repeat(size)}"}`),
    })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ field: fc.constantFrom('name', 'key', 'caller', 'from', 'role'), bad: fc.constantFrom(...INVALID_UTF8), prefix: fc.string({ maxLength: 8, unit: 'grapheme-ascii' }) })
      .map(({ field, bad, prefix }) => {
        const text = JSON.stringify(prefix).slice(1, -1);
        return {
          kind: 'invalid-utf8' as const,
          bytes: Buffer.concat([Buffer.from(`{"${field}":"${text}`), Buffer.from(bad), Buffer.from('"}')]),
        };
      }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ kind: 'bytes' as const, bytes: Buffer.from(b) })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('{', '{"name":', '{"name":"a",}', "{'name':'a'}", '{"name":NaN}', '{"name":"a"} x', '\ufeff{"name":"a"}', '/**/{}', '[1,]', '{"name":"\\u12"}', 'null', '"just a string"', '')
      .map((text) => ({ kind: 'malformed' as const, bytes: Buffer.from(text) })),
  },
);

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json', 'application/json; charset=latin1',
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'json',
];

const methods = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS') },
  // Every method Node's parser knows, but CONNECT, which turns the connection into a tunnel.
  { weight: 2, arbitrary: fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT')) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{3,8}$/) },
);

/** Path segment values: real ids now and then, else junk. */
function segments(ids: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ids) },
    { weight: 3, arbitrary: anyString.map(percentEncode) },
    { weight: 2, arbitrary: fc.constantFrom('%', '%zz', '%ff%fe', '%00', '%c0%af', '..', '%2e%2e', '%2F', '.', '', 'a'.repeat(65), 'a'.repeat(5000), 'key_', 'openapi.json') },
    // Raw bytes 0x21-0xff: node:http sends them as they are.
    { weight: 1, arbitrary: fc.string({ maxLength: 16, unit: fc.integer({ min: 0x21, max: 0xff }).map((c) => String.fromCharCode(c)) }) },
  );
}

const QUERY_KEYS = ['limit', 'cursor', 'status', 'q', 'minutes', 'before', 'state'];
const queryValue = fc.oneof(
  fc.constantFrom('-1', '0', '1', '10000', '10001', '1e309', 'NaN', 'abc', '', 'active', 'inactive', 'open', 'all', '%', '%ff', '1.5', '0x10', '9'.repeat(40)),
  anyString.map(percentEncode),
);
const queries = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), anyString.map(percentEncode)), queryValue), { maxLength: 4 })
      .map((pairs) => '?' + pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  },
);

export type Tokens = { admin: string; viewer: string; service: string; disabled: string; apiKey: string };

function authorizations(tokens: Tokens): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant(`Bearer ${tokens.admin}`) },
    { weight: 1, arbitrary: fc.constantFrom(`Bearer ${tokens.viewer}`, `Bearer ${tokens.service}`, `Bearer ${tokens.disabled}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        `Bearer ${tokens.apiKey}`, `bearer ${tokens.admin}`, `Bearer  ${tokens.admin}`, `Bearer ${tokens.admin}x`, `Basic ${tokens.admin}`,
        tokens.admin, 'Bearer', 'Bearer ', `Bearer ${tokens.admin.slice(0, -1)}A`,
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 80, unit: 'grapheme-ascii' }).map((s) => `Bearer ${s}`) },
  );
}

export type Route = { method: string; path: string };

export type HostileRequest = RawRequest & { body?: Buffer; bodyKind: BodyKind };

/** Requests aimed at `routes` (params filled from `ids` or junk), and at random paths. */
export function hostileRequests(routes: readonly Route[], ids: readonly string[], tokens: Tokens): fc.Arbitrary<HostileRequest> {
  const segment = segments(ids);
  const routed = fc
    .record({
      route: fc.constantFrom(...routes),
      params: fc.array(segment, { minLength: 3, maxLength: 3 }),
      keepMethod: fc.boolean(),
      method: methods,
    })
    .map(({ route, params, keepMethod, method }) => {
      let i = 0;
      return { method: keepMethod ? route.method : method, path: route.path.replace(/:\w+/g, () => params[i++]!) };
    });
  const wandering = fc
    .record({ parts: fc.array(fc.oneof(fc.constantFrom('v1', 'keys', 'rotations', 'operators', 'verify', 'audit', 'events', 'health', 'me'), segment), { maxLength: 6 }), method: methods })
    .map(({ parts, method }) => ({ method, path: '/' + parts.join('/') }));
  return fc
    .record({
      target: fc.oneof({ weight: 5, arbitrary: routed }, { weight: 1, arbitrary: wandering }),
      query: queries,
      body: bodies,
      contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: fc.constant(undefined) }),
      authorization: authorizations(tokens),
      chunked: fc.boolean(),
    })
    .map(({ target, query, body, contentType, authorization, chunked }) => {
      const headers: Record<string, string> = {};
      if (authorization !== undefined) headers.authorization = authorization;
      if (contentType !== undefined && body.bytes) headers['content-type'] = contentType;
      const req: HostileRequest = { method: target.method, path: target.path + query, headers, body: body.bytes, bodyKind: body.kind, chunked };
      // A counterexample of a megabyte body would drown the report; fast-check prints this instead.
      return Object.assign(req, { [fc.toStringMethod]: () => describeRequest(req) });
    });
}

/** One line saying what a request is, with long parts cut short. */
export function describeRequest(req: HostileRequest): string {
  const body = req.body ? `${req.bodyKind} body of ${req.body.length} bytes: ${JSON.stringify(req.body.subarray(0, 160).toString('latin1'))}` : 'no body';
  return `${req.method} ${JSON.stringify(req.path.slice(0, 200))} (${JSON.stringify(req.headers).slice(0, 200)}; ${body}${req.chunked ? ', chunked' : ''})`;
}
