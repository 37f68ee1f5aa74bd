import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { startTestDaemon } from '/work/wt/replica/test/helpers/daemon.js';
const mode = process.argv[2] ?? 'replica';
const t = await startTestDaemon();
const { token } = await t.client.createOperator('svc', 'service');
const secrets: string[] = [];
for (let i = 0; i < 300; i++) secrets.push((await t.client.createKey('k' + i)).secret);
const port = 40000 + Math.floor(Math.random() * 1000);
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=/tmp/replica-prof', '--import', 'tsx', 'bench/support/service-server.ts', String(port), mode, t.url, token], { stdio: 'inherit' });
for (;;) { try { const r = await fetch(`http://127.0.0.1:${port}/health`); if (r.ok) break; } catch {} await new Promise((r) => setTimeout(r, 50)); }
const res = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 50, duration: 8, requests: secrets.map((s) => ({ method: 'GET', path: '/orders', headers: { authorization: `Bearer ${s}` } })) });
console.log(mode, res.requests.average, 'req/s', res.non2xx, 'non2xx');
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await t.stop();
