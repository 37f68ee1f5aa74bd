import { spawn } from 'node:child_process';
import { benchHome, removeHome, startDaemonProcess } from './support/daemon.js';
import { drive } from './support/load.js';
import { seedKeys } from './support/seed.js';
import { verifyRequests } from './support/verify-load.js';
const POLICY = { scopes: ['orders:*', 'billing:read', 'inventory:read'], allowedIps: ['10.0.0.0/8', '172.16.0.0/12', '2001:db8::/32', '192.0.2.0/24'], rateLimit: { limit: 1_000_000, windowSeconds: 60 } };
const home = benchHome();
const plainKeys = seedKeys(home, 99_000, 1000);
const policyKeys = seedKeys(home, 1000, 1000, 'policy', POLICY);
const ownerKeys = seedKeys(home, 1000, 1000, 'owner', { owner: 'team-x' });
const daemon = await startDaemonProcess(home, ['--perf-basic-prof']);
const { token } = await daemon.admin.createOperator('bench-verify', 'service');
const extra = (i: number) => ({ scope: 'orders:write', ip: `192.0.2.${i % 250}` });
const loads = { plain: verifyRequests(plainKeys, token), owner: verifyRequests(ownerKeys, token), policy: verifyRequests(policyKeys, token, extra) };
for (const r of Object.values(loads)) await drive(daemon, { connections: 1, seconds: 3, requests: r });
for (const rep of [1]) for (const [name, r] of Object.entries(loads)) {
  const perf = spawn('perf', ['record', '-F', '4999', '-p', String(daemon.pid), '-o', `/tmp/perf-${name}-${rep}.data`], { stdio: 'ignore' });
  await new Promise((res) => setTimeout(res, 300));
  const res = await drive(daemon, { connections: 10, seconds: 8, requests: r });
  perf.kill('SIGINT');
  await new Promise((ok) => perf.on('exit', ok));
  console.log(name, rep, 'requests', Math.round(res.requestsPerSecond * 8));
}
await daemon.stop(); removeHome(home); process.exit(0);
