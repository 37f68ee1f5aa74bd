/**
 * The typed client of the daemon's HTTP API, shared by the TUI, the CLI and the integration
 * kit. Every failure is an `ApiError` carrying the daemon's error code, or `DaemonUnreachable`
 * when nothing answers.
 */
import type { AuditEventJson } from '../daemon/audit/routes.js';
import type { OperatorJson } from '../daemon/auth/operators.js';
import type { Role } from '../daemon/auth/permissions.js';
import type { MeJson } from '../daemon/auth/routes.js';
import type { ErrorBody, ErrorCode, ErrorIssue } from '../daemon/errors.js';
import type { KeyJson, UsageJson } from '../daemon/keys/schemas.js';
import type { RotationJson, RotationStepName } from '../daemon/rotation/schemas.js';
import type { VerifyResult } from '../daemon/verify/verifier.js';

export type { AuditEventJson, KeyJson, MeJson, OperatorJson, RotationJson, RotationStepName, UsageJson, VerifyResult };

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

export type ClientOptions = {
  url: string;
  token?: string;
  /** Per-request timeout; event streams have none. */
  timeoutMs?: number;
  /** How requests are sent; by default the global `fetch` (tests pass an app's in-process `request`). */
  fetch?: typeof fetch;
};

export type KeyListParams = { status?: 'active' | 'inactive'; q?: string; limit?: number; cursor?: string };
/** `GET /v1/audit`'s filters; `before` is the last seq of the previous page. */
export type AuditParams = { limit?: number; before?: number; action?: string; key?: string; operator?: string };
export type AdvanceParams = { from: RotationStepName; force?: boolean; keepOld?: boolean; at?: string };

/** One server-sent event: its name and parsed JSON payload. */
export type StreamEvent = { event: string; data: unknown };

/** The most events `GET /v1/audit` answers at once. */
const AUDIT_PAGE = 10_000;

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The `ApiError` a failed response stands for; a body that is not the envelope still says its status. */
async function failure(res: Response): Promise<ApiError> {
  let e: Partial<ErrorBody['error']> | undefined;
  try {
    e = (JSON.parse(await res.text()) as Partial<ErrorBody>).error;
  } catch {
    // not JSON (a proxy's page, say): the status is all there is to tell
  }
  return new ApiError(res.status, e?.code ?? 'internal', e?.message ?? `the daemon answered HTTP ${res.status}`, e?.issues, e?.requestId);
}

export class KeywardClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? fetch;
  }

  private headers(body: boolean): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.token) h.authorization = `Bearer ${this.token}`;
    if (body) h['content-type'] = 'application/json';
    return h;
  }

  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    try {
      return await this.fetch(this.url + path, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ?? AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new DaemonUnreachable(this.url, err);
    }
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    if (res.status === 204) return undefined as T;
    if (!res.ok) throw await failure(res);
    try {
      return JSON.parse(await res.text()) as T;
    } catch {
      throw new ApiError(res.status, 'internal', `the daemon answered ${res.status} with a body that is not JSON`);
    }
  }

  health() {
    return this.request<{ status: 'ok' | 'degraded'; version: string; reason?: string }>('GET', '/v1/health');
  }
  me() {
    return this.request<MeJson>('GET', '/v1/me');
  }
  listKeys(params: KeyListParams = {}) {
    return this.request<{ keys: KeyJson[]; nextCursor: string | null }>('GET', `/v1/keys${query(params)}`);
  }
  /** Every key matching `params`, following cursors. */
  async allKeys(params: Omit<KeyListParams, 'cursor' | 'limit'> = {}): Promise<KeyJson[]> {
    const out: KeyJson[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listKeys({ ...params, limit: 10_000, cursor });
      out.push(...page.keys);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }
  getKey(id: string) {
    return this.request<{ key: KeyJson }>('GET', `/v1/keys/${encodeURIComponent(id)}`);
  }
  createKey(name: string, expiresAt?: string) {
    return this.request<{ key: KeyJson; secret: string }>('POST', '/v1/keys', expiresAt ? { name, expiresAt } : { name });
  }
  deactivateKey(id: string) {
    return this.request<{ key: KeyJson }>('POST', `/v1/keys/${encodeURIComponent(id)}/deactivate`);
  }
  activateKey(id: string) {
    return this.request<{ key: KeyJson }>('POST', `/v1/keys/${encodeURIComponent(id)}/activate`);
  }
  deleteKey(id: string) {
    return this.request<void>('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
  }
  usage(id: string, minutes = 60) {
    return this.request<UsageJson>('GET', `/v1/keys/${encodeURIComponent(id)}/usage${query({ minutes })}`);
  }
  verify(key: string, caller?: string) {
    return this.request<VerifyResult>('POST', '/v1/verify', caller === undefined ? { key } : { key, caller });
  }
  startRotation(keyId: string, options: { name?: string; watchSeconds?: number } = {}) {
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
  operators() {
    return this.request<{ operators: OperatorJson[] }>('GET', '/v1/operators');
  }
  createOperator(name: string, role: Role) {
    return this.request<{ operator: OperatorJson; token: string }>('POST', '/v1/operators', { name, role });
  }
  disableOperator(id: string) {
    return this.request<{ operator: OperatorJson }>('POST', `/v1/operators/${encodeURIComponent(id)}/disable`);
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
    const res = await this.send('GET', '/v1/events', undefined, signal);
    if (!res.ok || !res.body) throw await failure(res);
    onOpen?.();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) onEvent({ event, data: JSON.parse(data) as unknown });
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw new DaemonUnreachable(this.url, err);
    }
  }
}
