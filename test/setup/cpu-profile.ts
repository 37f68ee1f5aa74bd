/**
 * With `KEYWARD_TEST_CPU_PROFILE=DIR`, a V8 CPU profile of each test file, taken in the worker
 * that runs it (its tests, the in-process daemons and whatever else runs on that thread; child
 * processes and worker threads are not in it), written to `DIR/<file>-<backend>.cpuprofile`.
 * `node scripts/profile-summary.mjs DIR` lists the files by busy time. docs/testing.md says why.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';

const dir = process.env.KEYWARD_TEST_CPU_PROFILE!;
// Workers run file after file in one module graph (isolate: false): one session a worker.
const held = globalThis as { keywardProfiler?: Session };
const session = (held.keywardProfiler ??= (() => {
  const s = new Session();
  s.connect();
  s.post('Profiler.enable');
  s.post('Profiler.setSamplingInterval', { interval: 500 });
  return s;
})());

let name = 'unknown';
beforeAll(() => {
  name = `${(expect.getState().testPath ?? 'unknown').replace(/^.*?\/test\//, '').replace(/\//g, '_')}-${process.env.KEYWARD_TEST_BACKEND ?? 'sqlite'}`;
  session.post('Profiler.start');
});
afterAll(() => {
  // A session on the same thread answers at once: the profile is written before the next file starts.
  session.post('Profiler.stop', (err, result) => {
    if (err) throw err;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(result.profile));
  });
});
