/**
 * A daemon that hangs (here frozen with SIGSTOP) rather than going away: a verifier asking it
 * per request answers each request within its `timeoutMs`, however many wait. Before, the bound
 * was a silence on a connection, so requests queued for one of the pool's 64 connections waited
 * out the requests ahead of them: 640 at once took ten rounds of the timeout.
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { createVerifier } from '../../src/integration/verifier/index.js';
import { tempHome } from '../helpers/daemon.js';
import { killLeftoverDaemons, startChildDaemon } from '../reliability/helpers/child-daemon.js';

const TIMEOUT_MS = 300;
/** Timers late on a busy two-core box. */
const SLACK_MS = 1200;

afterAll(killLeftoverDaemons);

describe('a verifier asking a daemon that hangs', () => {
  it('answers every request within its timeout, however many are waiting', async () => {
    const home = tempHome();
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const daemon = await startChildDaemon(home);
    const token = (await daemon.client.createOperator('orders-api', 'service')).token;
    const { secret } = await daemon.client.createKey('hung');
    const verifier = createVerifier({ url: daemon.url, token, mode: 'remote', timeoutMs: TIMEOUT_MS });
    try {
      expect(await verifier.verify(secret)).toMatchObject({ valid: true });
      daemon.child.kill('SIGSTOP');
      const started = performance.now();
      const settled = await Promise.allSettled(Array.from({ length: 640 }, () => verifier.verify(secret)));
      const took = performance.now() - started;
      expect(settled.every((s) => s.status === 'rejected')).toBe(true);
      expect(took, 'all 640 answered within the timeout, not ten rounds of it').toBeLessThan(TIMEOUT_MS + SLACK_MS);
    } finally {
      daemon.child.kill('SIGCONT');
      await verifier.close();
      await daemon.stop('SIGTERM');
    }
  });
});
