/**
 * Issue 13 point 9, attacks on the HTTP layer of a listening daemon: a browser page reaching
 * the API by DNS rebinding (a foreign `Host`), a client without a token that makes the daemon
 * wait for or read a body, connections that send nothing or a byte at a time, a flood of
 * idle connections, and requests Node cannot parse (answered in the envelope, not bare).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { failedRequestIsHead } from '../../src/daemon/http/server.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { openConnection, parseResponse, requestHead } from './helpers/raw-socket.js';

/** An envelope answer: the status, the code, a request id. */
function expectEnvelope(raw: string, status: number, code: string): { message: string } {
  const res = parseResponse(raw);
  const what = raw.slice(0, 600);
  expect(res.status, what).toBe(status);
  expect(res.headers['content-type'], what).toMatch(/^application\/json/);
  const error = (res.body as { error?: { code: string; message: string; requestId: string } }).error;
  expect(error?.code, what).toBe(code);
  expect(error?.requestId, what).toMatch(/^[\w-]{8,}$/);
  expect(res.headers['x-request-id'], what).toBe(error!.requestId);
  return error!;
}

/** Sends one request on a fresh connection and waits for the whole answer (or the close). */
async function exchange(t: TestDaemon, bytes: string | Buffer): Promise<string> {
  const conn = await openConnection(t.url, bytes);
  await Promise.race([conn.closed, conn.receivedText('\r\n\r\n')]);
  // The whole body, as its Content-Length says (an answer to a HEAD has none).
  const head = bytes.toString('latin1').startsWith('HEAD ');
  const complete = () => {
    if (head) return true;
    const raw = conn.received();
    const end = raw.indexOf('\r\n\r\n');
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(raw.slice(0, end))?.[1];
    return end === -1 || length === undefined || raw.length >= end + 4 + Number(length);
  };
  await Promise.race([conn.closed, vi.waitFor(() => expect(complete()).toBe(true))]);
  conn.socket.destroy();
  return conn.received();
}

describe('the Host check (DNS rebinding)', () => {
  let t: TestDaemon;
  let allowing: TestDaemon;
  let service: string;
  beforeAll(async () => {
    t = await startTestDaemon();
    allowing = await startTestDaemon({ allowHosts: ['keyward.internal'] });
    service = (await t.client.createOperator('svc', 'service')).token;
  });
  afterAll(async () => {
    await t.stop();
    await allowing.stop();
  });

  it('refuses a name that is not loopback with 403, on every route and before the verify fast path', async () => {
    const port = new URL(t.url).port;
    const { secret } = await t.client.createKey('rebind-target');
    const before = (await t.client.audit()).events.length;
    const attacks = [
      requestHead('GET', '/v1/health', {}, `rebind.attacker.example:${port}`),
      requestHead('GET', '/v1/keys', { Authorization: `Bearer ${t.adminToken}` }, `rebind.attacker.example:${port}`),
      requestHead('POST', '/v1/keys', { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json', 'Content-Length': '16' }, `rebind.attacker.example`) + '{"name":"pwned"}',
      requestHead('GET', '/v1/health', {}, `127.0.0.1.attacker.example:${port}`),
      requestHead('GET', '/v1/health', {}, `0x7f.1:${port}`),
    ];
    const body = JSON.stringify({ key: secret });
    attacks.push(
      requestHead('POST', '/v1/verify', { Authorization: `Bearer ${service}`, 'Content-Type': 'application/json', 'Content-Length': String(body.length) }, 'rebind.attacker.example') + body,
    );
    for (const attack of attacks) expect(expectEnvelope(await exchange(t, attack), 403, 'forbidden').message).toMatch(/loopback/);
    expect((await t.client.audit()).events.length, 'nothing was created').toBe(before);
  });

  it('serves loopback names and addresses, and names given with --allow-host', async () => {
    const port = new URL(t.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`, '127.8.9.10']) {
      expect(parseResponse(await exchange(t, requestHead('GET', '/v1/health', {}, host))).status, host).toBe(200);
    }
    expect(parseResponse(await exchange(allowing, requestHead('GET', '/v1/health', {}, 'keyward.internal:7420'))).status).toBe(200);
    expectEnvelope(await exchange(allowing, requestHead('GET', '/v1/health', {}, 'other.internal')), 403, 'forbidden');
    expectEnvelope(await exchange(t, requestHead('GET', '/v1/health', {}, 'keyward.internal')), 403, 'forbidden');
  });

  it('answers a request without Host with a 400 envelope, not Node’s bare 400', async () => {
    expectEnvelope(await exchange(t, requestHead('GET', '/v1/health', {}, null)), 400, 'invalid_request');
  });

  it('refuses a request target that is not a path (an absolute URL or *), on every route', async () => {
    const port = new URL(t.url).port;
    const { secret } = await t.client.createKey('absolute-target');
    const body = JSON.stringify({ key: secret });
    const verify = { Authorization: `Bearer ${service}`, 'Content-Type': 'application/json', 'Content-Length': String(body.length) };
    const attacks = [
      requestHead('GET', 'http://rebind.attacker.example/v1/me', { Authorization: `Bearer ${t.adminToken}` }, `127.0.0.1:${port}`),
      requestHead('GET', `http://127.0.0.1:${port}/v1/keys`, { Authorization: `Bearer ${t.adminToken}` }, `127.0.0.1:${port}`),
      requestHead('POST', 'http://rebind.attacker.example/v1/verify', verify, `127.0.0.1:${port}`) + body,
    ];
    for (const attack of attacks) expect(expectEnvelope(await exchange(t, attack), 400, 'invalid_request').message, attack.split('\r\n')[0]).toMatch(/must be a path/);
    // The adapter refuses `*` before the app sees it, in the same envelope.
    expectEnvelope(await exchange(t, requestHead('OPTIONS', '*', {}, `127.0.0.1:${port}`)), 400, 'invalid_request');
    // The same requests with a path are served.
    expect(parseResponse(await exchange(t, requestHead('GET', '/v1/me', { Authorization: `Bearer ${t.adminToken}` }, `127.0.0.1:${port}`))).status).toBe(200);
  });

  it('refuses --allow-host with a port, which would never match', async () => {
    await expect(startTestDaemon({ allowHosts: ['box.lan:7420'] })).rejects.toThrow(/--allow-host takes a host name/);
  });
});

describe('authentication before the body', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon();
  });
  afterAll(() => t.stop());

  it('answers 401 without waiting for a body that never comes', async () => {
    const framings: Record<string, string>[] = [{ 'Content-Length': '60000' }, { 'Transfer-Encoding': 'chunked' }];
    for (const framing of framings) {
      const conn = await openConnection(t.url, requestHead('POST', '/v1/keys', { 'Content-Type': 'application/json', ...framing }) + (framing['Content-Length'] ? '{"name":' : ''));
      // The daemon must answer while the body is still missing; before the fix it waited for it.
      await conn.receivedText('\r\n\r\n');
      conn.socket.destroy();
      const error = expectEnvelope(conn.received(), 401, 'unauthorized');
      expect(error.message).toMatch(/operator token/);
    }
  });

  it('says 401, not 413, to a client without a token whatever size it announces', async () => {
    const raw = await exchange(t, requestHead('POST', '/v1/verify', { 'Content-Type': 'application/json', 'Content-Length': String(10 * 1024 * 1024) }));
    expectEnvelope(raw, 401, 'unauthorized');
    expect(parseResponse(raw).headers['www-authenticate']).toBe('Bearer');
  });
});

describe('time-outs and the connection cap', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon({ httpLimits: { headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 1_000, checkIntervalMs: 100, maxConnections: 6 } });
  });
  afterAll(() => t.stop());

  it('closes a connection that never finishes its headers, saying why', async () => {
    const started = Date.now();
    const conn = await openConnection(t.url, 'GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    await conn.closed;
    expect(Date.now() - started, 'closed after the headers time-out').toBeLessThan(3_000);
    expect(expectEnvelope(conn.received(), 400, 'invalid_request').message).toMatch(/did not arrive in time/);
  });

  it('closes a connection whose body trickles in too slowly', async () => {
    const started = Date.now();
    const conn = await openConnection(t.url, requestHead('POST', '/v1/keys', { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json', 'Content-Length': '100' }));
    const drip = setInterval(() => conn.socket.write(' '), 100);
    await conn.closed;
    clearInterval(drip);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(expectEnvelope(conn.received(), 400, 'invalid_request').message).toMatch(/did not arrive in time/);
  });

  it('closes an idle keep-alive connection after its announced time-out', async () => {
    const conn = await openConnection(t.url, requestHead('GET', '/v1/health'));
    await conn.receivedText('"status"');
    expect(parseResponse(conn.received()).headers['keep-alive']).toBe('timeout=1');
    const started = Date.now();
    await conn.closed;
    // Node waits a second past the announced time-out, so a client never races the close.
    expect(Date.now() - started).toBeLessThan(3_500);
  });

  it('drops connections over the cap and serves again once one is gone', async () => {
    const idle = await Promise.all(Array.from({ length: 6 }, () => openConnection(t.url)));
    const over = await openConnection(t.url, requestHead('GET', '/v1/health'));
    await over.closed;
    expect(over.received(), 'a connection over the cap gets nothing').toBe('');
    for (const conn of idle) conn.socket.destroy();
    await Promise.all(idle.map((c) => c.closed));
    await expect.poll(async () => parseResponse(await exchange(t, requestHead('GET', '/v1/health'))).status).toBe(200);
    expect(t.logs.some((line) => /connection limit \(6\) reached/.test(line))).toBe(true);
  });
});

describe('requests Node cannot parse', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon();
  });
  afterAll(() => t.stop());

  it('answers them in the JSON envelope', async () => {
    const broken = [
      'GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n',
      'GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      `GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`,
      'GET /v1\\health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      '\u0001\u0002garbage\r\n\r\n',
    ];
    for (const bytes of broken) {
      const error = expectEnvelope(await exchange(t, bytes), 400, 'invalid_request');
      expect(error.message.length).toBeGreaterThan(10);
    }
    expect(expectEnvelope(await exchange(t, broken[2]!), 400, 'invalid_request').message).toMatch(/16 KiB/);
  });

  /**
   * A request Node cannot parse, sent on a kept-alive connection right behind the end of a body
   * the daemon answered without reading (401 before the body), so both arrive in one chunk.
   */
  async function behindAnUnreadBody(failed: string): Promise<string> {
    const conn = await openConnection(t.url, `${requestHead('POST', '/v1/keys', { 'Transfer-Encoding': 'chunked' })}5\r\nhello\r\n`);
    await conn.receivedText('"unauthorized"');
    const first = conn.received().length;
    conn.socket.write(Buffer.from(`0\r\n\r\n${failed}`, 'latin1'));
    await conn.closed;
    return conn.received().slice(first);
  }

  it('answers a HEAD it cannot parse without a body, also when the chunk it arrived in began with another request', async () => {
    const alone = await exchange(t, 'HEAD /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n');
    for (const raw of [
      alone,
      await behindAnUnreadBody('HEAD /\u00e4#/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      await behindAnUnreadBody('HEAD /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n'),
    ]) {
      expect(parseResponse(raw).status, raw).toBe(400);
      expect(raw.slice(raw.indexOf('\r\n\r\n') + 4), raw).toBe('');
    }
    expectEnvelope(await behindAnUnreadBody('GET /\u00e4#/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 400, 'invalid_request');
  });

  it('finds the failed request\'s method where Node stopped parsing', () => {
    // [the chunk, where in it Node stopped, whether the failed request is a HEAD]
    const cases: [string, string, boolean][] = [
      ['HEAD /\u00e4 HTTP/1.1\r\n', '\u00e4', true],
      ['xx"}\r\n0\r\n\r\nHEAD /\u00e4 HTTP/1.1\r\n', '\u00e4', true],
      ['{"a":1}HEAD /\u00e4 HTTP/1.1\r\n', '\u00e4', true],
      // A no-break space (0xA0) after the target: whitespace to a regex, not to HTTP.
      ['HEAD /\u00a0? HTTP/1.1\r\n', '\u00a0', true],
      ['HEAD /\u00a0\u00a0?\u00a0x\r\n', '?', true],
      ['HEAD / HTTP/1.1 junk\r\n', 'junk', true],
      ['HEAD /x HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n', ' Header', true],
      ['GET /\u00e4 HTTP/1.1\r\n', '\u00e4', false],
      ['HEAD /x HTTP/1.1\r\n\r\nGET /\u00e4 HTTP/1.1\r\n', '\u00e4', false],
      ['GET /x HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n', ' Header', false],
      // The request line is in an earlier chunk: not known to be a HEAD.
      ['Host: h\r\nBad Header\r\n\r\n', ' Header', false],
      ['\u0001garbage', '\u0001', false],
    ];
    for (const [text, marker, head] of cases) {
      expect(failedRequestIsHead(Buffer.from(text, 'latin1'), text.indexOf(marker)), JSON.stringify(text)).toBe(head);
    }
    expect(failedRequestIsHead(undefined, undefined)).toBe(false);
  });

  it('reads a chunk full of another request\'s body in linear time (a hostile client sends it)', () => {
    const body = 'a'.repeat(64 * 1024 - 40);
    const started = performance.now();
    for (const packet of [`${body}\nHost: h\r\nBad Header\r\n`, `HEAD ${body} ${body}\r\n`, `${'HEAD '.repeat(13_000)}\r\nBad Header\r\n`]) {
      failedRequestIsHead(Buffer.from(packet, 'latin1'), packet.length - 8);
    }
    // Linear, the three take about a millisecond; the quadratic regex this guards against took ~6 s for the first.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('answers a HEAD it cannot parse without a body (alone on its connection)', async () => {
    const raw = await exchange(t, 'HEAD /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n');
    expect(parseResponse(raw).status).toBe(400);
    expect(raw.slice(raw.indexOf('\r\n\r\n') + 4)).toBe('');
  });
});
