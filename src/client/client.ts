/**
 * The typed client of the daemon's HTTP API, shared by the TUI, the CLI and the integration
 * kit. Every failure is an `ApiError` carrying the daemon's error code, `DaemonUnreachable`
 * when nothing answers, or `DaemonUnproven` when something answers that cannot prove it is the
 * daemon daemon.json names (then nothing but the challenge was sent to it). Over 300 lines
 * because it has one short method for each operation of the API.
 */
import type { AlertJson, TombstoneJson } from '../daemon/alerts/schemas.js';
import type { AuditEventJson, AuditVerificationJson } from '../daemon/audit/routes.js';
import type { OperatorJson } from '../daemon/auth/operators.js';
import type { Role } from '../daemon/auth/permissions.js';
import type { MeJson } from '../daemon/auth/schemas.js';
import type { ErrorBody, ErrorCode, ErrorIssue } from '../daemon/errors.js';
import type { ImportedJson } from '../daemon/keys/import-schemas.js';
import type { LookupResultJson } from '../daemon/keys/lookup.js';
import type { KeyFieldsInput } from '../daemon/keys/policy-schemas.js';
import type { CreateKeyInput, EditKeyInput, KeyJson, UsageJson } from '../daemon/keys/schemas.js';
import type { RotationJson, RotationStepName } from '../daemon/rotation/schemas.js';
import type { VerifyResult } from '../decide/verify.js';
import type { DeliveryJson, WebhookJson } from '../daemon/webhooks/routes.js';
import { CHALLENGE_HEADER, isProof, newChallenge, PROOF_HEADER } from '../identity.js';
import { httpSend, type HttpResponse, type SendOptions as HttpSendOptions, type Transport } from './http.js';
import { readEventStream, type StreamEvent } from './sse.js';

export type {
  AlertJson,
  AuditEventJson,
  AuditVerificationJson,
  DeliveryJson,
  EditKeyInput,
  KeyFieldsInput,
  KeyJson,
  LookupResultJson,
  MeJson,
  OperatorJson,
  RotationJson,
  RotationStepName,
  StreamEvent,
  TombstoneJson,
  UsageJson,
  VerifyResult,
  WebhookJson,
};

/** What `POST /v1/keys` takes besides the name: expiry, description, labels and policy. */
export type CreateKeyFields = Omit<CreateKeyInput, 'name'>;

/** What a verify may ask besides the key: the scopes the request needs, the client's address. */
export type VerifyContext = { scope?: string | string[]; ip?: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly issues: ErrorIssue[] = [],
    readonly requestId = '',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class DaemonUnreachable extends Error {
  constructor(readonly url: string, cause?: unknown) {
    super(`no keyward daemon answers at ${url}`, { cause });
    this.name = 'DaemonUnreachable';
  }
}

/** Something answers at the address daemon.json names, but not with the daemon's proof. */
export class DaemonUnproven extends Error {
  constructor(readonly url: string) {
    super(`something else answers on ${url}: it cannot prove it is the keyward daemon daemon.json names, so no token was sent to it`);
    this.name = 'DaemonUnproven';
  }
}

export type ClientOptions = {
  url: string;
  token?: string;
  /**
   * For an address found in daemon.json: the instance secret the daemon there must prove
   * before any other request goes out (identity.ts). Read again at each proof, since a daemon
   * started again has a new one; undefined then means that daemon is gone. Without it (a URL
   * the user gave) the address is trusted as given.
   */
  identity?: () => string | undefined;
  /** Per-request timeout; event streams have none. */
  timeoutMs?: number;
  /** How requests are sent: node:http by default (http.ts says why); tests pass an app's in-process fetch. */
  fetch?: Transport;
};

export type KeySortName = 'name' | 'newest' | 'lastUsed' | 'uses24h' | 'status' | 'owner';
/** `GET /v1/keys`'s parameters (docs/api.md, "The key list"). */
export type KeyListParams = {
  status?: 'active' | 'inactive';
  q?: string;
  /** A whole name, ignoring case: the key of that name. */
  name?: string;
  owner?: string;
  filter?: string;
  sort?: KeySortName;
  reverse?: boolean;
  limit?: number;
  cursor?: string;
  before?: string;
  end?: boolean;
  counts?: boolean;
};
export type KeyCountsJson = { total: number; active: number; inactive: number };
export type KeyPageJson = { keys: KeyJson[]; nextCursor: string | null; prevCursor: string | null; counts?: KeyCountsJson };
/** `GET /v1/audit`'s filters; `before` is the last seq of the previous page. */
export type AuditParams = { limit?: number; before?: number; action?: string; key?: string; operator?: string };
export type AdvanceParams = { from: RotationStepName; force?: boolean; keepOld?: boolean; takeOldName?: boolean; at?: string };

export type Health = { status: 'ok' | 'degraded'; version: string; reason?: string };

type SendOptions = { body?: unknown; signal?: AbortSignal; timeoutMs?: number; headers?: Record<string, string>; anonymous?: boolean };

/**
 * How long an import batch may take: up to 10,000 keys stored in one transaction, which on a
 * slow or busy disk outlasts the 10 s any other request is given.
 */
const IMPORT_TIMEOUT_MS = 120_000;

/** The most events `GET /v1/audit` answers at once. */
const AUDIT_PAGE = 10_000;

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The `ApiError` a failed answer stands for; a body that is not the envelope still says its status. */
export function errorOfAnswer(status: number, text: string): ApiError {
  let e: Partial<ErrorBody['error']> | undefined;
  try {
    e = (JSON.parse(text) as Partial<ErrorBody>).error;
  } catch {
    // not JSON (a proxy's page, say): the status is all there is to tell
  }
  return new ApiError(status, e?.code ?? 'internal', e?.message ?? `the daemon answered HTTP ${status}`, e?.issues, e?.requestId);
}

async function failure(res: HttpResponse): Promise<ApiError> {
  // A body that breaks off is no envelope either.
  const text = await res.text().catch(() => '');
  return errorOfAnswer(res.status, text);
}

export class KeywardClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly identity: (() => string | undefined) | undefined;
  private readonly timeoutMs: number;
  /** A transport the caller gave (tests); otherwise node:http through `httpSend`. */
  private readonly transport: Transport | undefined;
  /** The proof of the daemon at `url`, until something goes wrong on the way to it. */
  private proven: Promise<void> | undefined;

  constructor(options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.identity = options.identity;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.transport = options.fetch;
  }

  /**
   * Sends over the caller's transport, or node:http. A read whose kept connection the daemon
   * closed as it went out (its idle timeout: a TUI left alone for five seconds) is tried again
   * on a new one. A write is not: a connection reset after the request went out may also be a
   * daemon that took it and then died, and a key created twice, or an import batch stored
   * twice, is worse than a failure the user sees and repeats. A new connection reaches whatever
   * listens on the port now, so a request with a token to a daemon that must prove itself
   * proves it again first; a health check carries no token, and a URL given is trusted as given.
   */
  private fetch(url: string, init: Parameters<Transport>[1], anonymous: boolean): Promise<HttpResponse> {
    if (this.transport) return this.transport(url, init);
    let retry: HttpSendOptions['retry'] = false;
    if (init.method === 'GET') retry = anonymous || !this.identity ? true : () => this.proveAgain();
    return httpSend(url, init, { retry });
  }

  private proveAgain(): Promise<void> {
    this.proven = undefined;
    return this.prove();
  }

  /**
   * Proves the daemon before the first request, and again after any request failed to reach
   * it or a stream ended: the daemon may have stopped, and something else taken its port.
   */
  private prove(): Promise<void> {
    this.proven ??= this.health().then(
      () => undefined,
      (err: unknown) => {
        this.proven = undefined;
        throw err;
      },
    );
    return this.proven;
  }

  private async send(method: string, path: string, options: SendOptions = {}): Promise<HttpResponse> {
    if (!options.anonymous && this.identity) await this.prove();
    const headers: Record<string, string> = { ...options.headers };
    if (this.token && !options.anonymous) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.fetch(
        this.url + path,
        {
          method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: options.signal ?? AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs),
        },
        options.anonymous === true,
      );
    } catch (err) {
      this.proven = undefined;
      // The proof before a second try (see fetch) failing says so itself.
      if (err instanceof DaemonUnproven || err instanceof DaemonUnreachable) throw err;
      throw new DaemonUnreachable(this.url, err);
    }
  }

  private async request<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    const res = await this.send(method, path, { body, timeoutMs });
    return this.parse<T>(res);
  }

  private async parse<T>(res: HttpResponse): Promise<T> {
    if (res.status === 204) return undefined as T;
    if (!res.ok) throw await failure(res);
    try {
      return JSON.parse(await res.text()) as T;
    } catch {
      throw new ApiError(res.status, 'internal', `the daemon answered ${res.status} with a body that is not JSON`);
    }
  }

  /**
   * `GET /v1/health`, never with a token. With an identity it sends a fresh challenge and
   * throws `DaemonUnproven` unless the answer carries the proof.
   */
  async health(): Promise<Health> {
    const instance = this.identity?.();
    if (this.identity && instance === undefined) throw new DaemonUnreachable(this.url, new Error('daemon.json no longer names this address'));
    const challenge = instance === undefined ? undefined : newChallenge();
    const res = await this.send('GET', '/v1/health', { anonymous: true, headers: challenge ? { [CHALLENGE_HEADER]: challenge } : {} });
    if (instance !== undefined && !isProof(instance, challenge!, res.headers.get(PROOF_HEADER))) {
      await res.body?.cancel();
      throw new DaemonUnproven(this.url);
    }
    const health = await this.parse<Health>(res);
    if (instance !== undefined) this.proven ??= Promise.resolve();
    return health;
  }
  me() {
    return this.request<MeJson>('GET', '/v1/me');
  }
  listKeys(params: KeyListParams = {}) {
    const { reverse, end, counts, ...rest } = params;
    const flags = { reverse: reverse ? 'true' : undefined, end: end ? 'true' : undefined, counts: counts ? 'true' : undefined };
    return this.request<KeyPageJson>('GET', `/v1/keys${query({ ...rest, ...flags })}`);
  }
  /** The pages of keys matching `params`, one at a time, following cursors: never all of them in memory. */
  async *keyPages(params: Omit<KeyListParams, 'cursor' | 'before' | 'end'> = {}): AsyncGenerator<KeyJson[]> {
    let cursor: string | undefined;
    do {
      const page = await this.listKeys({ limit: 10_000, ...params, cursor });
      yield page.keys;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  /** Every key matching `params`, following cursors. */
  async allKeys(params: Omit<KeyListParams, 'cursor' | 'before' | 'end' | 'limit'> = {}): Promise<KeyJson[]> {
    const out: KeyJson[] = [];
    for await (const page of this.keyPages(params)) out.push(...page);
    return out;
  }
  getKey(id: string) {
    return this.request<{ key: KeyJson }>('GET', `/v1/keys/${encodeURIComponent(id)}`);
  }
  /** Creates a key; `fields` is its expiry (an ISO date-time) alone, or every field to set. */
  createKey(name: string, fields: string | CreateKeyFields = {}) {
    const body = typeof fields === 'string' ? { name, expiresAt: fields } : { name, ...fields };
    return this.request<{ key: KeyJson; secret: string }>('POST', '/v1/keys', body);
  }
  /** Changes the fields `edit` names; null clears one. */
  editKey(id: string, edit: EditKeyInput) {
    return this.request<{ key: KeyJson }>('PATCH', `/v1/keys/${encodeURIComponent(id)}`, edit);
  }
  deactivateKey(id: string, reason?: string) {
    return this.request<{ key: KeyJson }>('POST', `/v1/keys/${encodeURIComponent(id)}/deactivate`, reason === undefined ? undefined : { reason });
  }
  activateKey(id: string) {
    return this.request<{ key: KeyJson }>('POST', `/v1/keys/${encodeURIComponent(id)}/activate`);
  }
  deleteKey(id: string) {
    return this.request<void>('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
  }
  /** One import batch (docs/import.md): items as the NDJSON lines hold them, validated by the daemon. */
  importKeys(keys: readonly unknown[]) {
    return this.request<ImportedJson>('POST', '/v1/keys/import', { keys }, Math.max(this.timeoutMs, IMPORT_TIMEOUT_MS));
  }
  /** What the daemon knows of secrets by their SHA-256 (at most `LOOKUP_BATCH` a call). */
  lookup(sha256: string[]) {
    return this.request<{ results: LookupResultJson[] }>('POST', '/v1/keys/lookup', { sha256 });
  }
  /** Reports live keys a scan found, by hash and `FILE:LINE` (at most `LOOKUP_BATCH` a call): `key.leaked` for each active one. */
  reportLeaks(leaks: Array<{ sha256: string; where: string }>) {
    return this.request<{ results: Array<{ sha256: string; where: string; reported: boolean }> }>('POST', '/v1/keys/leaks', { leaks });
  }
  usage(id: string, minutes = 60) {
    return this.request<UsageJson>('GET', `/v1/keys/${encodeURIComponent(id)}/usage${query({ minutes })}`);
  }
  verify(key: string, caller?: string, context: VerifyContext = {}) {
    return this.request<VerifyResult>('POST', '/v1/verify', { key, ...(caller !== undefined && { caller }), ...context });
  }
  /**
   * Starts replacing a key (`watchSeconds`: how long double_check watches); `emergency` takes the
   * old key out at once, its `reason` kept on it.
   */
  startRotation(keyId: string, options: { name?: string; watchSeconds?: number; emergency?: true; reason?: string } = {}) {
    return this.request<{ rotation: RotationJson; secret: string }>('POST', `/v1/keys/${encodeURIComponent(keyId)}/rotations`, options);
  }
  rotations(state: 'open' | 'all' = 'open') {
    return this.request<{ rotations: RotationJson[] }>('GET', `/v1/rotations${query({ state })}`);
  }
  rotation(id: string) {
    return this.request<{ rotation: RotationJson }>('GET', `/v1/rotations/${encodeURIComponent(id)}`);
  }
  advance(id: string, params: AdvanceParams) {
    return this.request<{ rotation: RotationJson }>('POST', `/v1/rotations/${encodeURIComponent(id)}/advance`, params);
  }
  rollback(id: string) {
    return this.request<{ rotation: RotationJson }>('POST', `/v1/rotations/${encodeURIComponent(id)}/rollback`);
  }
  cancel(id: string) {
    return this.request<{ rotation: RotationJson; message: string }>('POST', `/v1/rotations/${encodeURIComponent(id)}/cancel`);
  }
  alerts(params: { state?: 'open' | 'all'; key?: string; limit?: number; cursor?: string } = {}) {
    return this.request<{ alerts: AlertJson[]; nextCursor: string | null }>('GET', `/v1/alerts${query(params)}`);
  }
  /** Every alert matching `params` (open ones by default; `key`: one key's, by id or name), following cursors. */
  async allAlerts(params: { state?: 'open' | 'all'; key?: string } = {}): Promise<AlertJson[]> {
    const out: AlertJson[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.alerts({ ...params, limit: 10_000, cursor });
      out.push(...page.alerts);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }
  ackAlert(id: string) {
    return this.request<{ alert: AlertJson }>('POST', `/v1/alerts/${encodeURIComponent(id)}/ack`);
  }
  tombstones(params: { limit?: number; cursor?: string } = {}) {
    return this.request<{ tombstones: TombstoneJson[]; nextCursor: string | null }>('GET', `/v1/tombstones${query(params)}`);
  }
  /** Every tombstone, following cursors. */
  async allTombstones(): Promise<TombstoneJson[]> {
    const out: TombstoneJson[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.tombstones({ limit: 10_000, cursor });
      out.push(...page.tombstones);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }
  audit(params: AuditParams = {}) {
    return this.request<{ events: AuditEventJson[] }>('GET', `/v1/audit${query(params)}`);
  }
  /** Up to `limit` events matching `params` (Infinity: all), newest first, a page of at most 10,000 at a time. */
  async auditUpTo(limit: number, params: Omit<AuditParams, 'limit'> = {}): Promise<AuditEventJson[]> {
    const out: AuditEventJson[] = [];
    for (let before = params.before; out.length < limit; ) {
      const page = Math.min(AUDIT_PAGE, limit - out.length);
      const { events } = await this.audit({ ...params, limit: page, before });
      out.push(...events);
      if (events.length < page) break;
      before = events[events.length - 1]!.seq;
    }
    return out;
  }

  /** The daemon's check of the whole audit chain against its home's key and checkpoint. */
  verifyAudit() {
    return this.request<AuditVerificationJson>('GET', '/v1/audit/verify');
  }
  operators() {
    return this.request<{ operators: OperatorJson[] }>('GET', '/v1/operators');
  }
  createOperator(name: string, role: Role) {
    return this.request<{ operator: OperatorJson; token: string }>('POST', '/v1/operators', { name, role });
  }
  disableOperator(id: string) {
    return this.request<{ operator: OperatorJson }>('POST', `/v1/operators/${encodeURIComponent(id)}/disable`);
  }
  webhooks() {
    return this.request<{ webhooks: WebhookJson[] }>('GET', '/v1/webhooks');
  }
  createWebhook(url: string, events?: string[]) {
    return this.request<{ webhook: WebhookJson; secret: string }>('POST', '/v1/webhooks', events?.length ? { url, events } : { url });
  }
  deleteWebhook(id: string) {
    return this.request<void>('DELETE', `/v1/webhooks/${encodeURIComponent(id)}`);
  }
  deliveries(id: string, limit?: number) {
    return this.request<{ deliveries: DeliveryJson[] }>('GET', `/v1/webhooks/${encodeURIComponent(id)}/deliveries${query({ limit })}`);
  }
  openapi() {
    return this.request<{ openapi: string; paths: Record<string, Record<string, unknown>> }>('GET', '/v1/openapi.json');
  }

  /**
   * Reads `/v1/events` until `signal` aborts or the stream ends; resolves when it ends and
   * rejects with `ApiError`/`DaemonUnreachable` when it cannot start. `onOpen` runs once the
   * daemon has accepted the stream, so a caller can load a snapshot without missing a change.
   */
  async events(onEvent: (event: StreamEvent) => void, signal: AbortSignal, onOpen?: () => void): Promise<void> {
    const res = await this.send('GET', '/v1/events', { signal });
    if (!res.ok || !res.body) throw await failure(res);
    onOpen?.();
    try {
      await readEventStream(res.body, onEvent, signal);
    } catch (err) {
      if (signal.aborted) return;
      throw new DaemonUnreachable(this.url, err);
    } finally {
      // Whatever ended the stream may have ended the daemon: prove the next one again.
      this.proven = undefined;
    }
  }
}
