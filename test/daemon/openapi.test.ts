/**
 * Issue 7: `GET /v1/openapi.json` documents every route the app really serves — its method,
 * bearer security, and every status the route really answers with when probed (no token, a
 * token lacking the permission, an unknown id, a bad body or query).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

type Operation = {
  security?: Array<Record<string, string[]>>;
  requestBody?: unknown;
  parameters?: Array<{ in: string; name: string }>;
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
};
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
};

/** A body each write route accepts, so a probe with an unknown id reaches the handler. */
const VALID_BODIES: Record<string, unknown> = {
  'post /v1/rotations/{id}/advance': { from: 'verify_new' },
  'post /v1/keys/{id}/rotations': {},
  'patch /v1/keys/{id}': {},
};

let t: TestDaemon;
let doc: Doc;
let serviceToken: string;
let routes: Array<{ method: string; path: string }>;

async function status(method: string, path: string, init: { token?: string | null; body?: string; type?: string } = {}): Promise<number> {
  const headers: Record<string, string> = {};
  const token = init.token === undefined ? t.adminToken : init.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = init.type ?? 'application/json';
  const res = await fetch(t.url + path, { method: method.toUpperCase(), headers, body: init.body });
  await res.body?.cancel();
  return res.status;
}

beforeAll(async () => {
  t = await startTestDaemon();
  serviceToken = (await t.client.createOperator('probe-service', 'service')).token;
  doc = (await t.client.openapi()) as unknown as Doc;
  const seen = new Set<string>();
  routes = [];
  for (const r of t.daemon.app.routes) {
    // "ALL" entries are middleware.
    if (r.method === 'ALL') continue;
    const method = r.method.toLowerCase();
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    if (seen.has(`${method} ${path}`)) continue;
    seen.add(`${method} ${path}`);
    routes.push({ method, path });
  }
});

afterAll(() => t.stop());

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with a bearer security scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(routes.length, 'the app registers routes').toBeGreaterThan(15);
  });

  it('documents every registered route, and nothing that is not registered', () => {
    for (const { method, path } of routes) expect(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`).toBeDefined();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('puts bearer auth on every route but health, and describes errors with the Error schema', () => {
    for (const { method, path } of routes) {
      const op = doc.paths[path]![method]!;
      const where = `${method.toUpperCase()} ${path}`;
      if (path === '/v1/health') expect(op.security ?? [], where).toEqual([]);
      else {
        expect(op.security, where).toEqual([{ bearer: [] }]);
        for (const s of ['401', '403', '500']) expect(op.responses[s], `${where} documents ${s}`).toBeDefined();
      }
      for (const [code, response] of Object.entries(op.responses)) {
        if (Number(code) >= 400) expect(response.content?.['application/json']?.schema?.$ref, `${where} ${code}`).toBe('#/components/schemas/Error');
      }
    }
  });

  it('documents every status the routes answer with when probed', async () => {
    const undocumented: string[] = [];
    const check = (method: string, path: string, probe: string, got: number) => {
      if (!doc.paths[path]![method]!.responses[String(got)]) undocumented.push(`${method.toUpperCase()} ${path} answered ${got} to ${probe}`);
    };
    for (const { method, path } of routes) {
      const concrete = path.replace('{id}', 'nope_0000');
      const op = doc.paths[path]![method]!;
      check(method, path, 'no token', await status(method, concrete, { token: null }));
      if (path !== '/v1/verify') check(method, path, 'a service token', await status(method, concrete, { token: serviceToken }));
      if (path.includes('{id}')) {
        const body = VALID_BODIES[`${method} ${path}`];
        check(method, path, 'an unknown id', await status(method, concrete, { body: body === undefined ? undefined : JSON.stringify(body) }));
      }
      if (op.requestBody) {
        check(method, path, 'a body of the wrong shape', await status(method, concrete, { body: '{"unexpected":true}' }));
        check(method, path, 'a body that is not JSON', await status(method, concrete, { body: 'hello', type: 'text/plain' }));
        check(method, path, 'a body over 64 KiB', await status(method, concrete, { body: JSON.stringify({ name: 'x'.repeat(70_000) }) }));
      }
      if (op.parameters?.some((p) => p.in === 'query')) {
        check(method, path, 'a bad query', await status(method, `${concrete}?limit=0&minutes=0&state=nope&status=nope`));
      }
    }
    expect(undocumented).toEqual([]);
  });
});
