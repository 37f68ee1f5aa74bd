/**
 * Verification by asking the daemon, one `POST /v1/verify` per request over the link's pool of
 * keep-alive connections: `mode: 'remote'` of the middlewares, and what a replica falls back
 * to while it has no lease. Anything but an answer — the daemon down, slow, or refusing the
 * token — is `VerifierUnavailable`: the service must refuse the request, never pass it.
 */
import type { DaemonLink } from './link.js';
import { MALFORMED, verifyBody, VerifierUnavailable, type Verifier, type VerifyOptions, type VerifyResult } from './request.js';

export class RemoteVerifier implements Verifier {
  private closed = false;

  constructor(private readonly link: DaemonLink) {}

  get state() {
    return this.closed ? ('closed' as const) : ('remote' as const);
  }

  async verify(key: string, options?: VerifyOptions): Promise<VerifyResult> {
    if (this.closed) throw new VerifierUnavailable('keyward: this verifier is closed');
    const body = verifyBody(key, options);
    if (!body) return MALFORMED;
    try {
      return await this.link.post<VerifyResult>('/v1/verify', body);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new VerifierUnavailable(`keyward: the daemon at ${this.link.url} could not verify: ${why}`, err);
    }
  }

  async ready(): Promise<void> {}

  async sync(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    this.link.close();
  }
}
