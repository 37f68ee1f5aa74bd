/**
 * Issue 17: webhooks on an in-process daemon delivering to a real HTTP receiver in the test:
 * admin-only routes, URL and event checks, the secret shown once and stored only sealed,
 * signed `{id,type,at,data}` bodies for audited changes and `key.leaked`, event filters,
 * retries with backoff through a receiver's failures, the delivery log, and the metric.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { storeText, startTestApp, type TestApp } from '../helpers/daemon.js';
import { collectGarbage } from '../helpers/gc.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';

type Received = { path: string; headers: Record<string, string | string[] | undefined>; body: string };

/** A receiver that answers each request with the next status of `script` (then 204), or never when it `hangs`. */
class Receiver {
  readonly got: Received[] = [];
  script: number[] = [];
  hangs = false;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      this.got.push({ path: req.url ?? '', headers: req.headers, body });
      if (this.hangs) return;
      res.writeHead(this.script.shift() ?? 204).end();
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  events(): Array<{ id: string; type: string; at: string; data: Record<string, unknown> }> {
    return this.got.map((r) => JSON.parse(r.body));
  }

  stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    return closed;
  }
}

let t: TestApp;
let receiver: Receiver;
beforeEach(async () => {
  t = await startTestApp({ webhooks: { pollMs: 20, timeoutMs: 2000, leaseMs: 5000, retry: { baseMs: 40, capMs: 160, windowMs: 60_000 } } });
  receiver = new Receiver();
  await receiver.start();
});
afterEach(async () => {
  await t.stop();
  await receiver.stop();
});

async function addWebhook(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await t.api('POST', '/v1/webhooks', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const { webhook, secret } = res.body as unknown as { webhook: { id: string }; secret: string };
  return { id: webhook.id, secret };
}

function verifySignature(secret: string, r: Received): boolean {
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['keyward-signature'])) ?? [];
  return v1 === createHmac('sha256', secret).update(`${t}.${r.body}`).digest('hex') && Math.abs(Date.now() / 1000 - Number(t)) < 60;
}

describe('webhook routes', () => {
  it('add returns the secret once; list and the store never show it', async () => {
    const res = await t.api('POST', '/v1/webhooks', { url: receiver.url, events: ['key.*'] });
    expect(res.status).toBe(201);
    const { webhook, secret } = res.body as unknown as { webhook: Record<string, unknown>; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhook).toMatchObject({ id: expect.stringMatching(/^whk_/), url: receiver.url, events: ['key.*'], createdBy: 'admin', canSign: true });
    const list = await t.api('GET', '/v1/webhooks');
    expect(list.body).toEqual({ webhooks: [webhook] });
    expect(JSON.stringify(list.body)).not.toContain(secret);
    for (const text of await storeText(t)) expect(text).not.toContain(secret);
    for (const line of t.logs) expect(line).not.toContain(secret);
    const [audit] = (await t.api('GET', '/v1/audit?limit=1')).body.events;
    expect(audit).toMatchObject({ action: 'webhook.create', targetId: webhook.id, targetName: receiver.url, detail: { events: ['key.*'] } });
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('refuses URLs that are not plain http(s) and event patterns it cannot match, changing nothing', async () => {
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'http://user:pw@example.com/', `https://example.com/${'x'.repeat(2048)}`]) {
      const res = await t.api('POST', '/v1/webhooks', { url });
      expect(res.status, url).toBe(400);
      expect(res.body.error.issues[0]?.path).toBe('url');
    }
    for (const events of [[], ['KEY.LEAKED'], ['key.'], ['*.key'], ['key leaked']]) {
      expect((await t.api('POST', '/v1/webhooks', { url: receiver.url, events })).status, JSON.stringify(events)).toBe(400);
    }
    expect((await t.api('GET', '/v1/webhooks')).body).toEqual({ webhooks: [] });
  });

  it('refuses a URL holding a secret or a character that steers a terminal: the audit log shows it to viewers', async () => {
    const key = (await t.api('POST', '/v1/keys', { name: 'k' })).body.secret;
    const at = (query: string) => `http://127.0.0.1:9/hook?${query}`;
    for (const [url, message] of [
      [at(`k=${key}`), /must not contain a keyward key, token or signing secret/],
      [at(`k=${encodeURIComponent(key).replace('_', '%5F')}`), /must not contain a keyward key, token or signing secret/],
      [at(`t=${t.adminToken}`), /must not contain a keyward key, token or signing secret/],
      [at('x=1\u202Egpj.exe'), /control or invisible formatting/],
      [at('x=\u001b]52;c;aGk=\u0007'), /control or invisible formatting/],
      [at('x=a\tb'), /control or invisible formatting/],
    ] as const) {
      const res = await t.api('POST', '/v1/webhooks', { url });
      expect(res.status, url).toBe(400);
      expect(res.body.error.issues, url).toEqual([{ path: 'url', message: expect.stringMatching(message) }]);
    }
    expect((await t.api('GET', '/v1/webhooks')).body).toEqual({ webhooks: [] });
    expect((await t.api('GET', '/v1/audit?action=webhook')).body.events).toEqual([]);
  });

  it('takes only event types the daemon sends, each once, and names the item it refuses', async () => {
    for (const [events, path, message] of [
      [['bogus.event'], 'events.0', /matches no event keyward sends; the types are key\.create, .*canary\.tripped/],
      [['key.leaked', 'key.leak'], 'events.1', /matches no event keyward sends/],
      [['nothing.*'], 'events.0', /matches no event keyward sends/],
      [['*', '*'], 'events.1', /^repeats events\.0$/],
      [['key.*', 'alert.ack', 'key.*'], 'events.2', /^repeats events\.0$/],
    ] as const) {
      const res = await t.api('POST', '/v1/webhooks', { url: receiver.url, events });
      expect(res.status, JSON.stringify(events)).toBe(400);
      expect(res.body.error.issues, JSON.stringify(events)).toEqual([{ path, message: expect.stringMatching(message) }]);
    }
    expect((await t.api('GET', '/v1/webhooks')).body).toEqual({ webhooks: [] });
    await addWebhook({ url: receiver.url, events: ['canary.tripped', 'deleted_key.*', 'rotation.*', 'alert.ack', 'webhook.delete'] });
  });

  it('says at startup which webhooks this home cannot sign for, when its webhook.key is not the one they were sealed under', async () => {
    const { id } = await addWebhook({ url: receiver.url, events: ['key.*'] });
    await t.daemon.close();
    writeFileSync(join(t.home, 'webhook.key'), randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    t.logs.length = 0;
    await t.restart();
    expect(t.logs.filter((l) => l.includes('webhook.key'))).toEqual([
      `1 webhook was added under another webhook.key than this home's (${id}): this daemon cannot sign for it and delivers nothing to it; a daemon that holds that key does. With several daemons on one database, copy webhook.key from the daemon that added it into this home (docs/webhooks.md); with one daemon, put back the webhook.key it was added under, or remove it and add it again`,
    ]);
    expect((await t.api('GET', '/v1/webhooks')).body).toMatchObject({ webhooks: [{ id, canSign: false }] });
  });

  it('is for admins only', async () => {
    const manager = (await t.api('POST', '/v1/operators', { name: 'mgr', role: 'manager' })).body.token;
    const { id } = await addWebhook({ url: receiver.url });
    for (const [method, path, body] of [
      ['GET', '/v1/webhooks'],
      ['POST', '/v1/webhooks', { url: receiver.url }],
      ['DELETE', `/v1/webhooks/${id}`],
      ['GET', `/v1/webhooks/${id}/deliveries`],
    ] as const) {
      const res = await t.api(method, path, body, manager);
      expect(res.status, `${method} ${path}`).toBe(403);
    }
  });

  it('removes a webhook with its deliveries, and answers 404 after', async () => {
    const { id } = await addWebhook({ url: receiver.url });
    expect((await t.api('DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
    expect((await t.api('DELETE', `/v1/webhooks/${id}`)).status).toBe(404);
    expect((await t.api('GET', `/v1/webhooks/${id}/deliveries`)).status).toBe(404);
    expect((await t.api('GET', '/v1/webhooks')).body).toEqual({ webhooks: [] });
  });
});

describe('webhook deliveries', () => {
  it('POSTs {id,type,at,data} signed with the secret for audited changes and key.leaked, as the filter says', async () => {
    const all = await addWebhook({ url: receiver.url });
    const leaksOnly = await addWebhook({ url: `${receiver.url}?only=leaks`, events: ['key.leaked'] });
    const key = (await t.api('POST', '/v1/keys', { name: 'billing' })).body;
    await t.api('POST', `/v1/keys/${key.key.id}/deactivate`, { reason: 'leaked: .env:3' });

    await expect.poll(() => receiver.got.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(6);
    const toAll = receiver.events().filter((_, i) => !isLeaksOnly(receiver.got[i]!));
    // Deliveries are attempted several at a time: their order is not promised.
    expect(toAll.map((e) => e.type).sort()).toEqual(['key.create', 'key.deactivate', 'key.leaked', 'webhook.create', 'webhook.create']);
    const toLeaks = receiver.events().filter((_, i) => isLeaksOnly(receiver.got[i]!));
    expect(toLeaks.map((e) => e.type)).toEqual(['key.leaked']);

    const leaked = toAll.find((e) => e.type === 'key.leaked')!;
    expect(leaked.id).toMatch(/^evt_/);
    expect(Date.parse(leaked.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(leaked.data).toEqual({
      key: { id: key.key.id, name: 'billing', hint: key.key.hint },
      reason: 'leaked: .env:3',
      alert: expect.objectContaining({ kind: 'key.leaked', state: 'open', keyId: key.key.id, count: 1, detail: { reason: 'leaked: .env:3' } }),
    });
    expect(toLeaks[0]!.id).toBe(leaked.id); // one event, one id, whichever webhook gets it
    const deactivate = toAll.find((e) => e.type === 'key.deactivate')!;
    expect(deactivate.data).toMatchObject({ target: { type: 'key', id: key.key.id, name: 'billing' }, operator: { name: 'admin' }, detail: { reason: 'leaked: .env:3' } });
    const [auditEvent] = (await t.api('GET', '/v1/audit?limit=1')).body.events;
    expect(deactivate.id).toBe(auditEvent!.id);

    for (const r of receiver.got) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(verifySignature(isLeaksOnly(r) ? leaksOnly.secret : all.secret, r), r.body).toBe(true);
      expect(verifySignature(isLeaksOnly(r) ? all.secret : leaksOnly.secret, r)).toBe(false);
      expect(r.body).not.toContain(key.secret);
    }
  });

  it('retries with backoff through failures and logs each attempt', async () => {
    receiver.script = [503, 500, 503];
    const { id } = await addWebhook({ url: receiver.url, events: ['key.create'] });
    await t.api('POST', '/v1/keys', { name: 'first' });
    await expect.poll(() => receiver.got.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    const first = receiver.events()[0]!.id;
    expect(receiver.events().map((e) => e.id)).toEqual([first, first, first, first]);
    const deliveries = async () => (await t.api('GET', `/v1/webhooks/${id}/deliveries`)).body as unknown as { deliveries: Array<Record<string, unknown>> };
    const [log] = (await vi.waitFor(async () => {
      const d = await deliveries();
      expect(d.deliveries[0]?.status).toBe('delivered');
      return d;
    }, { timeout: 5000 })).deliveries;
    expect(log).toMatchObject({ eventId: first, type: 'key.create', status: 'delivered', attempts: 4, lastStatus: 204, lastError: null, nextAttemptAt: null });

    const m = parsePrometheusText(await (await t.fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } })).text());
    expect(sampleValue(m, 'keyward_webhook_deliveries_total', { result: 'failed' })).toBe(3);
    expect(sampleValue(m, 'keyward_webhook_deliveries_total', { result: 'delivered' })).toBe(1);
  });

  it('says when deliveries pause on a failing store, once, and when they resume', async () => {
    const claim = vi.spyOn(t.daemon.core.store, 'claimDelivery').mockRejectedValue(Object.assign(new Error('busy (injected)'), { code: 'SQLITE_BUSY' }));
    await vi.waitFor(() => expect(claim.mock.calls.length).toBeGreaterThan(3));
    expect(t.logs.filter((l) => l.startsWith('webhook deliveries paused'))).toEqual(['webhook deliveries paused: busy (injected) (retrying)']);
    claim.mockRestore();
    await vi.waitFor(() => expect(t.logs).toContain('webhook deliveries resumed'));
    await addWebhook({ url: receiver.url, events: ['key.create'] });
    await t.api('POST', '/v1/keys', { name: 'after-the-pause' });
    await vi.waitFor(() => expect(receiver.events().some((e) => e.type === 'key.create')).toBe(true));
    expect(t.logs.filter((l) => l === 'webhook deliveries resumed'), 'said once').toHaveLength(1);
  });

  it('logs a connection failure and gives up after the retry window', async () => {
    await t.stop();
    t = await startTestApp({ webhooks: { pollMs: 20, timeoutMs: 500, leaseMs: 2000, retry: { baseMs: 30, capMs: 60, windowMs: 400 } } });
    await receiver.stop();
    const { id } = await addWebhook({ url: receiver.url, events: ['key.create'] });
    await t.api('POST', '/v1/keys', { name: 'lost' });
    const { deliveries } = await vi.waitFor(async () => {
      const d = (await t.api('GET', `/v1/webhooks/${id}/deliveries`)).body as unknown as { deliveries: Array<Record<string, unknown>> };
      expect(d.deliveries[0]?.status).toBe('failed');
      return d;
    }, { timeout: 10_000 });
    expect(deliveries[0]).toMatchObject({ status: 'failed', lastError: 'ECONNREFUSED', lastStatus: null, deliveredAt: null, nextAttemptAt: null });
    expect(deliveries[0]!.attempts).toBeGreaterThan(1);
    await receiver.start(); // for afterEach
  });

  it('gives up on an attempt a receiver never answers at the time-out, garbage collected meanwhile, and tries it again', async () => {
    await t.stop();
    t = await startTestApp({ webhooks: { pollMs: 20, timeoutMs: 300, leaseMs: 5000, retry: { baseMs: 40, capMs: 160, windowMs: 60_000 } } });
    receiver.hangs = true;
    const { id } = await addWebhook({ url: receiver.url, events: ['key.create'] });
    await t.api('POST', '/v1/keys', { name: 'k' });
    await expect.poll(() => receiver.got.length, { timeout: 5000 }).toBe(1);
    // A time-out that only a weak reference keeps (AbortSignal.any over AbortSignal.timeout,
    // nodejs/node#57736) is collected here and never fires: the attempt would wait for
    // undici's 300 s header time-out.
    const collecting = setInterval(collectGarbage, 20);
    try {
      const { deliveries } = await vi.waitFor(async () => {
        const d = (await t.api('GET', `/v1/webhooks/${id}/deliveries`)).body as unknown as { deliveries: Array<Record<string, unknown>> };
        expect(d.deliveries[0]?.attempts).toBeGreaterThanOrEqual(2);
        return d;
      }, { timeout: 5000 });
      expect(deliveries[0]).toMatchObject({ status: 'pending', lastStatus: null, lastError: 'no answer within 0.3 s' });
    } finally {
      clearInterval(collecting);
    }
    // Tried again: the receiver saw the same event once more.
    await expect.poll(() => receiver.got.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(new Set(receiver.events().map((e) => e.id)).size).toBe(1);
  });

  it('counts an attempt cut short by the daemon stopping as failed, not given up: it is due again', async () => {
    await t.stop();
    // A window so short that any failed attempt but one cut short by a stop gives its delivery up.
    t = await startTestApp({ webhooks: { pollMs: 20, timeoutMs: 5000, leaseMs: 10_000, retry: { baseMs: 40, capMs: 160, windowMs: 1 } } });
    receiver.hangs = true;
    const { id } = await addWebhook({ url: receiver.url, events: ['key.create'] });
    await t.api('POST', '/v1/keys', { name: 'k' });
    await expect.poll(() => receiver.got.length, { timeout: 5000 }).toBe(1);
    const { metrics } = t.daemon.core;
    await t.restart(); // the stop cuts the attempt short
    const counted = Object.fromEntries((await metrics.webhookDeliveries.get()).values.map((v) => [v.labels.result, v.value]));
    expect(counted).toEqual({ delivered: 0, failed: 1, gave_up: 0 });
    const { deliveries } = (await t.api('GET', `/v1/webhooks/${id}/deliveries`)).body as unknown as { deliveries: Array<Record<string, unknown>> };
    expect(deliveries[0]).toMatchObject({ status: 'pending', attempts: 1, lastError: 'the daemon stopped during the attempt' });
  });

  it('delivers to other receivers at once while one hangs: it holds one slot, however many of its deliveries are due', async () => {
    await t.stop();
    const hangMs = 3000;
    t = await startTestApp({ webhooks: { pollMs: 20, timeoutMs: hangMs, leaseMs: 10_000, retry: { baseMs: 40, capMs: 160, windowMs: 60_000 } } });
    const hanging = new Receiver();
    hanging.hangs = true;
    await hanging.start();
    try {
      // More deliveries due to the hanging receiver than there are slots (its ping and six keys).
      await addWebhook({ url: hanging.url });
      for (let i = 0; i < 6; i++) await t.api('POST', '/v1/keys', { name: `backlog-${i}` });
      await expect.poll(() => hanging.got.length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
      await addWebhook({ url: receiver.url, events: ['key.create'] });
      const sent = performance.now();
      await t.api('POST', '/v1/keys', { name: 'urgent' });
      await expect.poll(() => receiver.events().map((e) => (e.data.target as { name: string }).name), { timeout: hangMs / 2 }).toContain('urgent');
      expect(performance.now() - sent, 'delivered while the other receiver hangs, not after').toBeLessThan(hangMs / 2);
      expect(hanging.got, 'one attempt at a time to the hanging receiver').toHaveLength(1);
      // And the hanging receiver is tried again once its time-out passes.
      await expect.poll(() => hanging.got.length, { timeout: 3 * hangMs }).toBeGreaterThanOrEqual(2);
    } finally {
      await hanging.stop();
    }
  });

  it('does not follow redirects', async () => {
    // Every attempt is answered 302: with one, the retry (short backoff in tests) could already
    // have been answered 204 when the log is read.
    receiver.script = Array.from({ length: 50 }, () => 302);
    const { id } = await addWebhook({ url: receiver.url, events: ['key.create'] });
    await t.api('POST', '/v1/keys', { name: 'k' });
    const { deliveries } = await vi.waitFor(async () => {
      const d = (await t.api('GET', `/v1/webhooks/${id}/deliveries`)).body as unknown as { deliveries: Array<Record<string, unknown>> };
      expect(d.deliveries[0]?.attempts).toBeGreaterThanOrEqual(1);
      return d;
    }, { timeout: 10_000 });
    expect(deliveries[0]).toMatchObject({ lastStatus: 302, lastError: 'HTTP 302 (redirects are not followed)' });
  });
});

/** Whether `r` went to the second webhook, the one for `key.leaked` only. */
function isLeaksOnly(r: Received): boolean {
  return r.path.includes('only=leaks');
}
