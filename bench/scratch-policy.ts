import { benchHome, removeHome, startDaemonProcess } from './support/daemon.js';
import { drive, medianOf } from './support/load.js';
import { seedKeys } from './support/seed.js';
import { verifyRequests } from './support/verify-load.js';

const POLICY = {
  scopes: ['orders:*', 'billing:read', 'inventory:read'],
  allowedIps: ['10.0.0.0/8', '172.16.0.0/12', '2001:db8::/32', '192.0.2.0/24'],
  rateLimit: { limit: 1_000_000, windowSeconds: 60 },
};
const home = benchHome();
const plainKeys = seedKeys(home, 99_000, 1000);
const policyKeys = seedKeys(home, 1000, 1000, 'policy', POLICY);
const ownerKeys = seedKeys(home, 1000, 1000, 'owner', { owner: 'team-x' });
const rateKeys = seedKeys(home, 1000, 1000, 'rate', { rateLimit: POLICY.rateLimit });
const daemon = await startDaemonProcess(home, (process.env.NODEARGS ?? '').split(' ').filter(Boolean));
const { token } = await daemon.admin.createOperator('bench-verify', 'service');
const extra = (i: number) => ({ scope: 'orders:write', ip: `192.0.2.${i % 250}` });
const loads: [string, ReturnType<typeof verifyRequests>][] = [
  ['plain->plain', verifyRequests(plainKeys, token)],
  ['extra->plain', verifyRequests(plainKeys, token, extra)],
  ['extra->policy', verifyRequests(policyKeys, token, extra)], ['plain->plain2', verifyRequests(plainKeys, token)],
];
const conns = Number(process.argv[2] ?? 10);
for (const [, r] of loads) await drive(daemon, { connections: conns, seconds: 2, requests: r });
const results = loads.map(() => [] as Awaited<ReturnType<typeof drive>>[]);
for (let round = 0; round < Number(process.argv[3] ?? 4); round++) {
  for (let i = 0; i < loads.length; i++) {
    const at = (i + round) % loads.length;
    results[at]!.push(await drive(daemon, { connections: conns, seconds: Number(process.argv[4] ?? 4), requests: loads[at]![1] }));
  }
}
const base = medianOf(results[0]!).serverCpuPerRequestUs;
for (let i = 0; i < loads.length; i++) {
  const m = medianOf(results[i]!);
  console.log(loads[i]![0].padEnd(16), Math.round(m.requestsPerSecond), m.serverCpuPerRequestUs.toFixed(1), (m.serverCpuPerRequestUs / base).toFixed(3), results[i]!.map((r) => r.serverCpuPerRequestUs.toFixed(0)).join(' '), 'non2xx', m.non2xx);
}
await daemon.stop();
removeHome(home);
process.exit(0);
