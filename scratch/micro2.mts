import { hashSecret, isWellFormed, KEY_PREFIX } from '/work/wt/replica/src/decide/secret.js';
import { generateSecret } from '/work/wt/replica/src/daemon/secrets/format.js';
import { verifyBody } from '/work/wt/replica/src/integration/verifier/request.js';
import { UsageTracker } from '/work/wt/replica/src/daemon/usage/tracker.js';
import { systemClock } from '/work/wt/replica/src/daemon/clock.js';
const secrets = Array.from({ length: 1000 }, () => generateSecret('kw_'));
const N = 500_000;
function time(label: string, fn: (i: number) => unknown) {
  for (let i = 0; i < 50000; i++) fn(i);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) fn(i);
  console.log(label.padEnd(20), ((performance.now() - t0) * 1000 / N).toFixed(3), 'µs');
}
time('isWellFormed', (i) => isWellFormed(secrets[i % 1000]!, KEY_PREFIX));
time('hashSecret', (i) => hashSecret(secrets[i % 1000]!));
time('verifyBody', (i) => verifyBody(secrets[i % 1000]!, { caller: '127.0.0.1', ip: '127.0.0.1' }));
const u = new UsageTracker({ applyUsage: async () => {}, quotas: async () => [] }, systemClock);
time('usage.record', (i) => u.record('key_' + (i % 1000), true, '127.0.0.1', Date.now()));
const m = new Map(secrets.map((s) => [hashSecret(s), { id: 'x' }]));
const hs = secrets.map(hashSecret);
time('map lookup', (i) => m.get(hs[i % 1000]!));
time('Date.now', () => Date.now());
