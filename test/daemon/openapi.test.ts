/**
 * The OpenAPI document is exact: every route the daemon serves is documented, and for every
 * operation the test sends requests until each documented status has been answered, checking
 * every answer (status, media type, headers, body) against the document. An answer the
 * document does not allow fails, and so does a documented status no request produced. What
 * each operation gets besides the common probes is in ./openapi/cases.ts.
 *
 * A listening daemon, not the in-process app: a GET with a body (any route may get one) only
 * exists on a socket.
 */
import { createParser } from 'eventsource-parser';
import { afterAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/daemon/auth/permissions.js';
import { IMPORT_MAX_BYTES, IMPORT_PATH } from '../../src/daemon/limits.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { rawAgent, sendRaw } from '../reliability/helpers/raw-http.js';
import { CASES, type Context, type Probe } from './openapi/cases.js';
import { DocumentValidator, operationsOf, problemsWith, type Document, type Operation, type Parameter } from './openapi/document.js';
import { FAULT_STATUS, withStoreFault, type Fault } from './openapi/store-faults.js';

const UNKNOWN_ID = 'key_0000000000000000000000';

const t = await startTestDaemon();
const agent = rawAgent();
/** Event streams the cases hold open, ended before the daemon stops. */
const heldStreams = new AbortController();

// Registered before anything else is awaited: a failure below still stops the daemon.
afterAll(async () => {
  heldStreams.abort();
  agent.destroy();
  await t.stop();
});

const doc = (await t.client.openapi()) as unknown as Document;
const validator = new DocumentValidator(doc);
const operations = operationsOf(doc);

const context: Context = await (async () => {
  let n = 0;
  const tokens = { admin: t.adminToken } as Record<Role, string>;
  for (const role of ['manager', 'viewer', 'service'] as const) tokens[role] = (await t.client.createOperator(`coverage-${role}`, role)).token;
  // Never ending in digits: a rotation names the new key after the old one with `-N`.
  const unique = (prefix: string) => `coverage-${prefix}-${++n}-x`;
  const cx: Context = {
    client: t.client,
    tokens,
    unique,
    async key(options = {}) {
      const { key, secret } = await t.client.createKey(unique('key'));
      if (options.inactive) await t.client.deactivateKey(key.id);
      return { ...key, secret };
    },
    async rotation(step) {
      let { rotation } = await t.client.startRotation((await cx.key()).id);
      if (step === 'cancelled') return (await t.client.cancel(rotation.id)).rotation;
      while (rotation.step !== step) ({ rotation } = await t.client.advance(rotation.id, { from: rotation.step, force: true }));
      return rotation;
    },
    async streamingOperator(count, stream = { path: '/v1/events', role: 'viewer' }) {
      const { token } = await t.client.createOperator(unique('streamer'), stream.role);
      for (let i = 0; i < count; i++) {
        const res = await fetch(`${t.url}${stream.path}`, { headers: { authorization: `Bearer ${token}` }, signal: heldStreams.signal });
        expect(res.status, 'a held stream opens').toBe(200);
        // Read (and drop) what arrives, so the daemon never counts the stream as fallen behind.
        void res.body?.pipeTo(new WritableStream()).catch(() => undefined);
      }
      return token;
    },
  };
  return cx;
})();

const asArray = (expected: number | number[]) => (Array.isArray(expected) ? expected : [expected]);

/**
 * Values `schema` refuses, as far as they follow from it. An integer is decimal digits only:
 * the other spellings of 1000 are within every integer parameter's range, so only their
 * spelling can refuse them.
 */
function invalidValues(schema: Parameter['schema']): string[] {
  if (Array.isArray(schema.enum)) return ['not-one-of-them'];
  if (schema.type === 'integer' || schema.type === 'number') return ['NaN', '1e3', '0x3e8', ' 1000', '1000.0', '+1000', ''];
  if (typeof schema.maxLength === 'number') return ['x'.repeat(schema.maxLength + 1)];
  return [];
}

type Sent = Probe & { fault?: Fault };

/** The import route takes 4 MiB; every other route 64 KiB. */
function bodyLimit(op: Operation): number {
  return op.path === IMPORT_PATH ? IMPORT_MAX_BYTES : 64 * 1024;
}

/** The probes every operation gets, built on its `ok` request. */
function commonProbes(op: Operation, ok: Probe): Sent[] {
  const succeeded = asArray(ok.expect);
  const probes: Sent[] = [
    { ...ok, why: 'a foreign Host (DNS rebinding)', host: 'rebind.example:7420', expect: 403 },
    ...(['viewer', 'service'] as const).map((role) => ({ ...ok, why: `a ${role} token`, token: context.tokens[role], expect: [403, ...succeeded] })),
    { ...ok, why: `a body over ${bodyLimit(op) / 1024} KiB`, body: { padding: 'x'.repeat(bodyLimit(op) + 6_000) }, contentType: undefined, expect: 413 },
    { ...ok, why: 'a body that is not JSON', body: 'hello', contentType: 'text/plain', expect: 415 },
    // A GET's body is never read, so only other methods can find it is not UTF-8.
    { ...ok, why: 'a JSON body that is not UTF-8', body: Buffer.from([0x7b, 0xff, 0x7d]), contentType: undefined, expect: op.method === 'get' ? succeeded : 400 },
  ];
  if (op.secured) probes.push({ ...ok, why: 'no token', token: null, expect: 401 });
  if (op.path.includes('{id}')) {
    probes.push({ ...ok, why: 'a malformed id', id: 'no.such:id', expect: 400 }, { ...ok, why: 'an id that names nothing', id: UNKNOWN_ID, expect: 404 });
  }
  for (const param of op.doc.parameters ?? []) {
    if (param.in !== 'query') continue;
    for (const bad of invalidValues(param.schema)) probes.push({ ...ok, why: `a bad ${param.name} (${JSON.stringify(bad)})`, query: `${param.name}=${encodeURIComponent(bad)}`, expect: 400 });
  }
  if (op.doc.requestBody) probes.push({ ...ok, why: 'a body of the wrong shape', body: { unexpected: true }, expect: 400 });
  // Before `ok` itself is sent: a failing store changes nothing, so `ok` still succeeds after.
  for (const fault of Object.keys(FAULT_STATUS) as Fault[]) probes.push({ ...ok, why: `a store that is ${fault}`, fault, expect: [FAULT_STATUS[fault], ...succeeded] });
  return probes;
}

async function send(op: Operation, probe: Sent) {
  const path = op.path.replace('{id}', encodeURIComponent(probe.id ?? UNKNOWN_ID)) + (probe.query ? `?${probe.query}` : '');
  const headers: Record<string, string> = {};
  const token = probe.token === undefined ? t.adminToken : probe.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (probe.host) headers.host = probe.host;
  Object.assign(headers, probe.headers);
  let body: Buffer | undefined;
  if (probe.body !== undefined) {
    body = Buffer.isBuffer(probe.body) ? probe.body : Buffer.from(typeof probe.body === 'string' ? probe.body : JSON.stringify(probe.body));
    headers['content-type'] = probe.contentType ?? 'application/json';
  }
  const request = () => sendRaw(t.url, { method: op.method.toUpperCase(), path, headers, body }, agent);
  return probe.fault ? withStoreFault(t.daemon.core.store, probe.fault, request) : request();
}

describe('the OpenAPI document', () => {
  it('documents every route the app registers, and nothing else', () => {
    const registered = new Set(t.daemon.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`));
    expect(operations.map((op) => `${op.method} ${op.path}`).sort()).toEqual([...registered].sort());
  });

  it('carries the limits the API enforces on what it takes, and the security every operation gets by default', () => {
    const schemas = doc.components.schemas as Record<string, { properties: Record<string, Record<string, unknown>> }>;
    const prop = (schema: string, name: string) => schemas[schema]!.properties[name]!;
    const name = { minLength: 1, maxLength: 64 };
    const scope = { type: 'string', minLength: 1, maxLength: 128 };
    expect(prop('EditKey', 'name')).toMatchObject(name);
    expect(prop('Deactivate', 'reason')).toMatchObject({ maxLength: 500 });
    expect(prop('StartRotation', 'reason')).toMatchObject({ maxLength: 500 });
    expect(prop('LookupRequest', 'sha256')).toMatchObject({ items: { pattern: '^[0-9a-fA-F]{64}$' } });
    expect(prop('CreateKey', 'scopes')).toMatchObject({ items: scope, maxItems: 64 });
    expect(prop('CreateKey', 'allowedIps')).toMatchObject({ minItems: 1, maxItems: 64 });
    expect(prop('Verify', 'scope')).toMatchObject({ anyOf: [scope, { items: scope, maxItems: 64 }] });
    expect(schemas.Verify, 'a field verify does not know is refused').toMatchObject({ additionalProperties: false });
    const audit = doc.paths['/v1/audit']!.get!.parameters!;
    for (const param of ['key', 'operator']) expect(audit.find((p) => p.name === param)?.schema, param).toMatchObject(name);
    expect(doc.security, 'operations need a bearer token unless they say otherwise').toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/health']!.get!.security, 'health needs none').toEqual([]);
  });

  it('names every operation, and has cases for each', () => {
    for (const op of operations) {
      expect(op.doc.operationId, `${op.method} ${op.path} has an operationId`).toBeDefined();
      expect(CASES[op.id], `test/daemon/openapi/cases.ts has an entry for ${op.id}`).toBeDefined();
    }
    expect(new Set(operations.map((op) => op.id)).size, 'operationIds are unique').toBe(operations.length);
  });

  for (const op of operations) {
    it(`${op.id} (${op.method.toUpperCase()} ${op.path}) answers exactly the statuses it documents, as documented`, async () => {
      const cases = await CASES[op.id]!(context);
      const probes = [...commonProbes(op, cases.ok), ...(cases.more ?? []), cases.ok];
      const problems: string[] = [];
      const answered = new Set<string>();
      if (cases.ok.body !== undefined && op.doc.requestBody) {
        const schema = ['paths', op.path, op.method, 'requestBody', 'content', 'application/json', 'schema'];
        problems.push(...validator.validate(schema, cases.ok.body).map((p) => `the ok request's body does not match the documented request body: ${p}`));
      }
      for (const probe of probes) {
        const res = await send(op, probe);
        answered.add(String(res.status));
        const what = `${res.status} to ${probe.why}`;
        if (!asArray(probe.expect).includes(res.status)) problems.push(`${what}: expected ${asArray(probe.expect).join(' or ')} (${res.body.slice(0, 200)})`);
        problems.push(...problemsWith(validator, op, res).map((p) => `${what}: ${p}`));
      }
      for (const status of Object.keys(op.doc.responses)) {
        if (!answered.has(status)) problems.push(`documents ${status}, which no request produced (add one to cases.ts, or drop the status)`);
      }
      expect(problems).toEqual([]);
    });
  }

  it('streams each documented event, named by its type, with the payload its schema describes', async () => {
    const event = doc.components.schemas.Event as { discriminator: { mapping: Record<string, string> } };
    const documented = Object.keys(event.discriminator.mapping).sort();
    const seen = new Set<string>();
    const problems: string[] = [];
    const parser = createParser({
      onEvent({ event: name = 'message', data }) {
        seen.add(name);
        const payload = JSON.parse(data) as { type?: string };
        if (payload.type !== name) problems.push(`${name} carries type ${payload.type}`);
        problems.push(...validator.validate(validator.componentPath('Event'), payload).map((p) => `${name}: ${p}`));
      },
    });
    const stream = new AbortController();
    const res = await fetch(`${t.url}/v1/events`, { headers: { authorization: `Bearer ${t.adminToken}` }, signal: stream.signal });
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
    })().catch(() => undefined);
    try {
      const key = await context.key({ inactive: true });
      await t.client.deleteKey(key.id);
      await t.client.deactivateKey((await context.key()).id, 'leaked: coverage.txt:1');
      const [leak] = (await t.client.alerts()).alerts.filter((a) => a.kind === 'key.leaked' && a.state === 'open');
      await t.client.ackAlert(leak!.id);
      const rotation = await context.rotation('verify_new');
      await t.client.verify((await context.key()).secret);
      await t.client.importKeys([{ name: context.unique('imported'), sha256: 'f'.repeat(64) }]);
      await t.client.disableOperator((await t.client.createOperator(context.unique('op'), 'viewer')).operator.id);
      expect(rotation.step).toBe('verify_new');
      await expect.poll(() => [...seen].filter((name) => documented.includes(name)).sort(), { timeout: 5_000 }).toEqual(documented);
    } finally {
      stream.abort();
      await reading;
    }
    expect([...seen].filter((name) => !documented.includes(name)), 'events the document does not name').toEqual([]);
    expect(problems).toEqual([]);
  });
});
