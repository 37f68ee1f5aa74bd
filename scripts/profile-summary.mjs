#!/usr/bin/env node
/**
 * Summarises a directory of V8 CPU profiles (test/setup/cpu-profile.ts writes one a test file):
 * each profile's busy time (not idle), its garbage collection, and its costliest functions by
 * self time. Usage: node scripts/profile-summary.mjs DIR [FILES] [FUNCTIONS]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, files = '25', functions = '3'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/profile-summary.mjs DIR [FILES] [FUNCTIONS]');
  process.exit(2);
}

const rows = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((file) => {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map();
    let busy = 0;
    let gc = 0;
    profile.samples.forEach((id, i) => {
      const { callFrame } = nodes.get(id);
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      if (callFrame.functionName === '(idle)') return;
      busy += ms;
      if (callFrame.functionName === '(garbage collector)') gc += ms;
      const where = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.split('/').slice(-2).join('/')}:${callFrame.lineNumber + 1}`;
      self.set(where, (self.get(where) ?? 0) + ms);
    });
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(functions));
    return { file: file.replace(/\.cpuprofile$/, ''), busy, gc, top };
  })
  .sort((a, b) => b.busy - a.busy);

const total = rows.reduce((sum, r) => sum + r.busy, 0);
console.log(`${rows.length} profiles, ${(total / 1000).toFixed(1)} s busy in all`);
for (const r of rows.slice(0, Number(files))) {
  console.log(`${(r.busy / 1000).toFixed(1).padStart(7)} s  (gc ${(r.gc / 1000).toFixed(1)} s)  ${r.file}`);
  for (const [where, ms] of r.top) console.log(`${' '.repeat(12)}${((ms / r.busy) * 100).toFixed(0).padStart(3)} %  ${where}`);
}
