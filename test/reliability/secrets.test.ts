/**
 * Secrets appear once, in the response that creates them, and nowhere else. A scripted session
 * (create keys, an operator, a rotation; verify; many mistakes, some of them quoting secrets)
 * runs against a daemon process; then every byte the daemon wrote or said is searched for
 * every secret and token: the database files (also after shutdown), the daemon's log, the
 * audit log, the event stream and every response but the few that hand a secret out.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempHome, type ApiBody } from '../helpers/daemon.js';
import { killLeftoverDaemons, startChildDaemon, type ChildDaemon } from './helpers/child-daemon.js';

const home = tempHome();
afterAll(() => {
  killLeftoverDaemons();
  rmSync(home, { recursive: true, force: true });
});

type Captured = { what: string; text: string };

/** Raw requests whose answers are all kept, except those marked as handing out a secret. */
function recorder(daemon: ChildDaemon) {
  const captured: Captured[] = [];
  const handedOut: Captured[] = [];
  async function call(method: string, path: string, options: { body?: unknown; token?: string; handsOut?: boolean } = {}) {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? daemon.adminToken}` };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const res = await fetch(daemon.url + path, { method, headers, body });
    const text = await res.text();
    const what = `${method} ${path} → ${res.status}`;
    (options.handsOut ? handedOut : captured).push({ what, text: `${JSON.stringify([...res.headers])}\n${text}` });
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as ApiBody };
  }
  return { call, captured, handedOut };
}

/** Reads `/v1/events` as raw text until stopped. */
function captureEvents(daemon: ChildDaemon): { stop(): Promise<string> } {
  const abort = new AbortController();
  let text = '';
  const reading = (async () => {
    const res = await fetch(`${daemon.url}/v1/events`, { headers: { authorization: `Bearer ${daemon.adminToken}` }, signal: abort.signal });
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
  })().catch(() => undefined);
  return {
    async stop() {
      abort.abort();
      await reading;
      return text;
    },
  };
}

/** The home's files, but admin.token, whose whole purpose is to hold the admin token. */
function homeFiles(): Captured[] {
  return readdirSync(home)
    .filter((f) => f !== 'admin.token')
    .map((f) => ({ what: `file ${f}`, text: readFileSync(join(home, f)).toString('latin1') }));
}

/** Where each secret shows up: the whole secret, or its random part without prefix and checksum. */
function leaks(secrets: Record<string, string>, places: Captured[]): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    const random = secret.slice(secret.indexOf('_') + 1, -6);
    for (const place of places) if (place.text.includes(random)) found.push(`${name} in ${place.what}`);
  }
  return found;
}

describe('secrets', () => {
  it('appear only in the responses that hand them out', { timeout: 60_000 }, async () => {
    const daemon = await startChildDaemon(home);
    const events = captureEvents(daemon);
    const { call, captured, handedOut } = recorder(daemon);

    const billing = (await call('POST', '/v1/keys', { body: { name: 'billing' }, handsOut: true })).json;
    const search = (await call('POST', '/v1/keys', { body: { name: 'search' }, handsOut: true })).json;
    const deployer = (await call('POST', '/v1/operators', { body: { name: 'deployer', role: 'manager' }, handsOut: true })).json;
    const [billingId, billingSecret] = [billing.key.id, billing.secret];
    const secrets: Record<string, string> = {
      'billing secret': billingSecret,
      'search secret': search.secret,
      'operator token': deployer.token,
      'admin token': daemon.adminToken,
    };

    await call('POST', '/v1/verify', { body: { key: billingSecret, caller: 'web-1' } });
    await call('POST', '/v1/verify', { body: { key: search.secret } });
    await call('POST', '/v1/verify', { body: { key: billingSecret, caller: 'deploy-bot' }, token: deployer.token });
    await call('POST', '/v1/verify', { body: { key: deployer.token } });

    const rotation = (await call('POST', `/v1/keys/${billingId}/rotations`, { body: {}, handsOut: true })).json;
    const rotationId = rotation.rotation.id;
    secrets['rotated secret'] = rotation.secret;
    await call('POST', `/v1/rotations/${rotationId}/advance`, { body: { from: 'update_systems' } });
    await call('POST', '/v1/verify', { body: { key: rotation.secret, caller: 'web-1' } });
    await call('POST', `/v1/rotations/${rotationId}/advance`, { body: { from: 'verify_new' } });
    await call('POST', `/v1/rotations/${rotationId}/advance`, { body: { from: 'deactivate_old' } });
    await call('POST', '/v1/verify', { body: { key: billingSecret, caller: 'web-2' } });

    // Mistakes, several of them putting a secret where it does not belong.
    const mistakes = [
      await call('POST', '/v1/keys', { body: { name: 'billing' } }),
      await call('GET', `/v1/keys/${billingSecret}`),
      await call('POST', `/v1/keys/${billingSecret}/deactivate`),
      await call('DELETE', `/v1/keys/${search.secret}`),
      await call('GET', `/v1/rotations/${rotation.secret}`),
      await call('POST', '/v1/verify', { body: { key: billingSecret + 'x' } }),
      await call('POST', '/v1/verify', { body: `{"key":"${billingSecret}"` }),
      await call('POST', '/v1/verify', { body: { key: [billingSecret] } }),
      await call('POST', '/v1/keys', { body: { name: 'x', secret: billingSecret } }),
      await call('POST', '/v1/keys', { body: { name: 'y', expiresAt: billingSecret } }),
      await call('POST', `/v1/rotations/${rotationId}/advance`, { body: { from: billingSecret } }),
      await call('POST', '/v1/operators', { body: { name: 'z', role: deployer.token } }),
      await call('GET', `/v1/keys?cursor=${billingSecret}`),
      await call('GET', `/v1/keys?limit=${search.secret}`),
      await call('GET', `/v1/audit?before=${billingSecret}`),
      await call('GET', '/v1/keys', { token: billingSecret }),
      await call('GET', '/v1/keys', { token: deployer.token + 'x' }),
      await call('GET', '/v1/operators', { token: deployer.token }),
    ];
    expect(mistakes.map((m) => m.status)).toEqual([409, 404, 404, 404, 404, 200, 400, 400, 400, 400, 400, 400, 400, 400, 400, 401, 401, 403]);

    await call('POST', `/v1/operators/${deployer.operator.id}/disable`);
    expect((await call('GET', '/v1/me', { token: deployer.token })).status).toBe(401);
    for (const path of ['/v1/keys', `/v1/keys/${billingId}`, `/v1/keys/${billingId}/usage?minutes=5`, `/v1/keys/${rotation.rotation.newKeyId}/usage?minutes=5`]) {
      await call('GET', path);
    }
    for (const path of ['/v1/rotations?state=all', `/v1/rotations/${rotationId}`, '/v1/audit?limit=1000', '/v1/operators', '/v1/me', '/v1/openapi.json']) {
      await call('GET', path);
    }
    const running = homeFiles();
    const stream = await events.stop();
    expect(await daemon.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const stopped = homeFiles();
    const places = [
      ...captured,
      ...running.map((p) => ({ ...p, what: `${p.what} (running)` })),
      ...stopped.map((p) => ({ ...p, what: `${p.what} (stopped)` })),
      { what: 'the daemon log', text: daemon.stderr() },
      { what: 'the event stream', text: stream },
    ];
    expect(leaks(secrets, places)).toEqual([]);

    // The search works: the answers that hand secrets out do contain them, the stream and audit log are not empty.
    expect(leaks(secrets, handedOut).sort()).toEqual(['billing secret in POST /v1/keys → 201', 'operator token in POST /v1/operators → 201', 'rotated secret in POST /v1/keys/' + billingId + '/rotations → 201', 'search secret in POST /v1/keys → 201'].sort());
    expect(stream).toMatch(/event: key\.created/);
    expect(captured.find((c) => c.what.startsWith('GET /v1/audit?limit=1000'))?.text).toMatch(/rotation\.advance/);
    console.log(`secrets: ${Object.keys(secrets).length} secrets searched for in ${places.length} places (${captured.length} responses, ${running.length + stopped.length} file reads, log, event stream): none found`);
  });
});
