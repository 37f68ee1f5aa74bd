import { startTestDaemon } from '/work/wt/replica/test/helpers/daemon.js';
import { spawn } from 'node:child_process';
const t = await startTestDaemon();
const { token } = await t.client.createOperator('svc', 'service');
const n = process.argv[2] ?? '1';
const port = 41000 + Math.floor(Math.random() * 1000);
const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/replicas-host.ts', String(port), t.url, token, n], { stdio: 'inherit' });
for (;;) { try { const r = await fetch(`http://127.0.0.1:${port}/`); if (r.ok) break; } catch {} await new Promise((r) => setTimeout(r, 50)); }
const hub = t.daemon.core.replicas;
const orig = hub.settled.bind(hub);
const waits: number[] = [];
hub.settled = () => { const t0 = performance.now(); return orig().then(() => { waits.push(performance.now() - t0); }); };
const total: number[] = [];
for (let i = 0; i < 100; i++) {
  const { key } = await t.client.createKey('d' + i);
  const t0 = performance.now();
  await t.client.deactivateKey(key.id);
  total.push(performance.now() - t0);
}
const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(a.length * p)]!.toFixed(2);
console.log('total p50', q(total, 0.5), 'p99', q(total, 0.99), '| barrier p50', q(waits, 0.5), 'p99', q(waits, 0.99));
child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); await t.stop();
