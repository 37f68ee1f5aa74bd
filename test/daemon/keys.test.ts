/** Issue 2: the key lifecycle over HTTP against a real SQLite file. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, storeText, type ApiBody, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.stop();
});

/** What a rejected request must leave untouched. */
async function snapshot() {
  const keys = await t.api('GET', '/v1/keys?limit=10000');
  const audit = await t.api('GET', '/v1/audit?limit=10000');
  return { keys: keys.body.keys, audit: audit.body.events.length };
}

describe('key lifecycle', () => {
  it('creates, lists, shows, deactivates, activates, deletes', async () => {
    const created = await t.api('POST', '/v1/keys', { name: '  billing  ' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { key, secret } = created.body;
    expect(secret).toMatch(/^kw_[0-9A-Za-z]{49}$/);
    expect(key).toMatchObject({ name: 'billing', status: 'active', createdBy: 'admin', deactivatedAt: null, lastUsedAt: null, uses24h: 0 });
    expect(key.id).toMatch(/^key_/);
    expect(key.hint).toBe(`${secret.slice(0, 7)}…${secret.slice(-4)}`);
    expect(Date.parse(key.createdAt)).toBeGreaterThan(Date.now() - 60_000);

    const list = await t.api('GET', '/v1/keys');
    expect(list.body.keys.map((k) => k.id)).toEqual([key.id]);
    expect(list.body.nextCursor).toBeNull();
    expect((await t.api('GET', `/v1/keys/${key.id}`)).body.key).toEqual(key);

    const off = await t.api('POST', `/v1/keys/${key.id}/deactivate`);
    expect(off.status).toBe(200);
    expect(off.body.key.status).toBe('inactive');
    expect(off.body.key.deactivatedAt).not.toBeNull();
    const on = await t.api('POST', `/v1/keys/${key.id}/activate`);
    expect(on.body.key).toMatchObject({ status: 'active', deactivatedAt: null });

    await t.api('POST', `/v1/keys/${key.id}/deactivate`);
    const del = await t.api('DELETE', `/v1/keys/${key.id}`);
    expect(del.status).toBe(204);
    const gone = await t.api('GET', `/v1/keys/${key.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('not_found');
    expect((await t.api('DELETE', `/v1/keys/${key.id}`)).status).toBe(404);
    expect((await t.api('POST', `/v1/keys/${key.id}/activate`)).status).toBe(404);
    expect((await t.api('GET', '/v1/keys')).body.keys).toEqual([]);
  });

  it('refuses a duplicate name in any case, including non-ASCII', async () => {
    expect((await t.api('POST', '/v1/keys', { name: 'Café-ключ' })).status).toBe(201);
    for (const name of ['café-ключ', 'CAFÉ-КЛЮЧ', ' Café-ключ ', 'Cafe\u0301-ключ']) {
      const res = await t.api('POST', '/v1/keys', { name });
      expect(res.status, name).toBe(409);
      expect(res.body.error.code).toBe('name_taken');
      expect(res.body.error.message).toContain('A key named "Café-ключ" already exists');
    }
    // The message names the key as it is spelt, and says when the two differ only in case.
    expect((await t.api('POST', '/v1/keys', { name: 'café-ключ' })).body.error.message).toBe('A key named "Café-ключ" already exists ("café-ключ" differs only in case)');
    expect((await t.api('POST', '/v1/keys', { name: ' Café-ключ ' })).body.error.message).toBe('A key named "Café-ключ" already exists');
    expect((await t.api('GET', '/v1/keys')).body.keys).toHaveLength(1);
  });

  it('refuses to delete an active key', async () => {
    const { key } = (await t.api('POST', '/v1/keys', { name: 'live' })).body;
    const res = await t.api('DELETE', `/v1/keys/${key.id}`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('key_active');
    expect(res.body.error.message).toMatch(/deactivate it/);
    expect((await t.api('GET', `/v1/keys/${key.id}`)).body.key.status).toBe('active');
  });

  it('stores an optional expiry and refuses one that is not a date', async () => {
    const at = new Date(Date.now() + 86_400_000).toISOString();
    const ok = await t.api('POST', '/v1/keys', { name: 'temp', expiresAt: at });
    expect(ok.body.key.expiresAt).toBe(at);
    const bad = await t.api('POST', '/v1/keys', { name: 'temp2', expiresAt: 'tomorrow' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0]?.path).toBe('expiresAt');
  });

  it('refuses an expiry that has already passed, by the daemon clock, creating nothing', async () => {
    const before = await snapshot();
    for (const expiresAt of [new Date(Date.now() - 60_000).toISOString(), '2001-01-01T00:00:00Z']) {
      const res = await t.api('POST', '/v1/keys', { name: 'stillborn', expiresAt });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.issues).toEqual([{ path: 'expiresAt', message: 'must be in the future' }]);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('filters by status and name and pages with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await t.api('POST', '/v1/keys', { name: `svc-${i}` })).body.key.id);
    await t.api('POST', '/v1/keys', { name: 'other' });
    await t.api('POST', `/v1/keys/${ids[2]}/deactivate`);

    expect((await t.api('GET', '/v1/keys?status=inactive')).body.keys.map((k) => k.id)).toEqual([ids[2]]);
    // With the hyphen, which no base62 hint holds: "svc" alone could be in other's random hint.
    expect((await t.api('GET', '/v1/keys?q=SVC-')).body.keys).toHaveLength(7);
    expect((await t.api('GET', '/v1/keys?q=%25')).body.keys).toHaveLength(0);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await t.api('GET', `/v1/keys?q=svc-&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.keys.map((k) => k.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);

    expect((await t.api('GET', '/v1/keys?cursor=garbage')).body.error.code).toBe('invalid_request');
    expect((await t.api('GET', '/v1/keys?limit=10001')).status).toBe(400);
    expect((await t.api('GET', '/v1/keys?limit=0')).status).toBe(400);
    expect((await t.api('GET', '/v1/keys?status=deleted')).status).toBe(400);
  });

  it('keeps keys across a daemon restart', async () => {
    const { key } = (await t.api('POST', '/v1/keys', { name: 'durable' })).body;
    await t.api('POST', `/v1/keys/${key.id}/deactivate`);
    await t.restart();
    expect((await t.api('GET', `/v1/keys/${key.id}`)).body.key).toMatchObject({ name: 'durable', status: 'inactive' });
  });

  it('lets exactly one of two concurrent creates of one name win', async () => {
    const results = await Promise.all(
      ['race', 'RACE', 'race', 'Race'].map((name) => t.api('POST', '/v1/keys', { name })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.error.code === 'name_taken')).toHaveLength(3);
    expect((await t.api('GET', '/v1/keys')).body.keys).toHaveLength(1);
  });

  it('never stores or shows the secret after the create response', async () => {
    const secrets: string[] = [];
    for (const name of ['a', 'b', 'c']) secrets.push((await t.api('POST', '/v1/keys', { name })).body.secret);
    const ids = (await t.api('GET', '/v1/keys')).body.keys.map((k) => k.id);
    await t.api('POST', `/v1/keys/${ids[0]}/deactivate`);
    const responses = [
      await t.api('GET', '/v1/keys'),
      ...(await Promise.all(ids.map((id) => t.api('GET', `/v1/keys/${id}`)))),
      await t.api('GET', '/v1/audit'),
      await t.api('POST', '/v1/keys', { name: 'a' }),
    ].map((r) => JSON.stringify(r.body));
    await t.daemon.core.usage.flush();
    const files = await storeText(t);
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const secret of secrets) {
      for (const text of [...responses, ...files, ...t.logs]) expect(text.includes(secret)).toBe(false);
      // Not even the random part without its prefix.
      for (const text of files) expect(text.includes(secret.slice(3, 30))).toBe(false);
    }
  });
});

describe('bad input', () => {
  const cases: { what: string; send: () => Promise<{ status: number; body: ApiBody }>; status: number; code: string }[] = [
    { what: 'malformed JSON', send: () => t.api('POST', '/v1/keys', '{"name": "x"'), status: 400, code: 'invalid_request' },
    { what: 'a JSON array', send: () => t.api('POST', '/v1/keys', '[1,2]'), status: 400, code: 'invalid_request' },
    { what: 'name of the wrong type', send: () => t.api('POST', '/v1/keys', { name: 42 }), status: 400, code: 'invalid_request' },
    { what: 'missing name', send: () => t.api('POST', '/v1/keys', {}), status: 400, code: 'invalid_request' },
    { what: 'empty name', send: () => t.api('POST', '/v1/keys', { name: '   ' }), status: 400, code: 'invalid_request' },
    { what: 'name over 64 characters', send: () => t.api('POST', '/v1/keys', { name: 'x'.repeat(65) }), status: 400, code: 'invalid_request' },
    { what: 'escape sequence in name', send: () => t.api('POST', '/v1/keys', { name: 'evil\u001b[2J' }), status: 400, code: 'invalid_request' },
    { what: 'newline in name', send: () => t.api('POST', '/v1/keys', { name: 'a\nb' }), status: 400, code: 'invalid_request' },
    { what: 'bidi override in name', send: () => t.api('POST', '/v1/keys', { name: 'abc\u202Egpj.exe' }), status: 400, code: 'invalid_request' },
    { what: 'unknown field', send: () => t.api('POST', '/v1/keys', { name: 'ok', admin: true }), status: 400, code: 'invalid_request' },
    {
      what: 'a body that is not JSON',
      send: async () => {
        const res = await t.fetch(`${t.url}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'text/plain' }, body: 'name=x' });
        return { status: res.status, body: (await res.json()) as ApiBody };
      },
      status: 415,
      code: 'unsupported_media_type',
    },
    { what: 'a body over 64 KiB', send: () => t.api('POST', '/v1/keys', { name: 'big', pad: 'x'.repeat(70_000) }), status: 413, code: 'payload_too_large' },
    { what: 'an unknown route', send: () => t.api('GET', '/v1/nothing-here'), status: 404, code: 'not_found' },
    { what: 'an unknown id', send: () => t.api('POST', '/v1/keys/key_doesnotexist/deactivate'), status: 404, code: 'not_found' },
    { what: 'an id with an escape sequence', send: () => t.api('GET', '/v1/keys/%1B%5B2J'), status: 400, code: 'invalid_request' },
    {
      what: 'a body that is not UTF-8',
      send: async () => {
        const res = await t.fetch(`${t.url}/v1/keys`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
          body: Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
        });
        return { status: res.status, body: (await res.json()) as ApiBody };
      },
      status: 400,
      code: 'invalid_request',
    },
    { what: 'a wrong method', send: () => t.api('PUT', '/v1/keys'), status: 404, code: 'not_found' },
    { what: 'no token', send: () => t.api('GET', '/v1/keys', undefined, null), status: 401, code: 'unauthorized' },
  ];

  for (const c of cases) {
    it(`answers ${c.what} with ${c.status} ${c.code} and changes nothing`, async () => {
      await t.api('POST', '/v1/keys', { name: 'existing' });
      const before = await snapshot();
      const res = await c.send();
      expect(res.status, JSON.stringify(res.body)).toBe(c.status);
      expect(res.body.error.code).toBe(c.code);
      expect(res.body.error.message.length).toBeGreaterThan(0);
      expect(res.body.error.requestId.length).toBeGreaterThan(0);
      expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
      expect(await snapshot()).toEqual(before);
    });
  }

  it('names each invalid field in issues', async () => {
    const res = await t.api('POST', '/v1/keys', { name: '', expiresAt: 5 });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i) => i.path).sort()).toEqual(['expiresAt', 'name']);
  });

  it('accepts a 64-character unicode name and trims it', async () => {
    const name = 'ключ'.repeat(16);
    const res = await t.api('POST', '/v1/keys', { name: ` ${name} ` });
    expect(res.status).toBe(201);
    expect(res.body.key.name).toBe(name);
  });
});
