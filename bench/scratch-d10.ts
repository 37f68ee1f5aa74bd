import { fileURLToPath } from 'node:url';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchHome, removeHome, startDaemonProcess } from './support/daemon.js';
import { seedKeys } from './support/seed.js';
import { startServer } from './support/server-process.js';
const REPLICAS = fileURLToPath(new URL('./support/replicas-host.ts', import.meta.url));
const home = benchHome();
seedKeys(home, 100000, 10);
const daemon = await startDaemonProcess(home);
const { token } = await daemon.admin.createOperator('bench-service', 'service');
const one = await startServer({ args: ['--import', 'tsx', REPLICAS, '{port}', daemon.url, token, '1'], healthPath: '/', timeoutMs: 60_000 });
async function run(label: string, n = 20) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const { key } = await daemon.admin.createKey(`d-${label}-${i}`);
    const t = performance.now();
    await daemon.admin.deactivateKey(key.id);
    times.push(Math.round(performance.now() - t));
    if (times[i]! > 200) console.log('slow at', new Date().toISOString());
  }
  console.log(label, times.join(' '));
}
await run('1a');
const nine = await startServer({ args: ['--import', 'tsx', REPLICAS, '{port}', daemon.url, token, '9'], healthPath: '/', timeoutMs: 60_000 });
console.log('nine healthy at', new Date().toISOString());
await run('10a');
const log = join(home, 'daemon.log');
if (existsSync(log)) console.log(readFileSync(log, 'utf8').split('\n').slice(-25).join('\n'));
console.log(daemon.logs?.slice?.(-20));
await nine.stop(); await one.stop(); await daemon.stop(); removeHome(home);
