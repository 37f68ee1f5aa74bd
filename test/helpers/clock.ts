/**
 * A clock the test moves by hand (`clock` of startTestApp/startTestDaemon): time stands still
 * until set, and work the daemon repeats on an interval (the usage flush, the rotation
 * scheduler) runs only when the test calls `runDue()`, so nothing waits for the wall clock.
 */
import type { Clock } from '../../src/daemon/clock.js';

export type ManualClock = Clock & {
  set(ms: number): void;
  add(ms: number): void;
  /**
   * Runs, once each and one after another, the interval tasks whose time has come since they
   * last ran (however many intervals the clock skipped), and resolves when they have finished.
   */
  runDue(): Promise<void>;
};

export function manualClock(start: number | string): ManualClock {
  let now = typeof start === 'string' ? Date.parse(start) : start;
  const tasks = new Set<{ intervalMs: number; dueAt: number; task: () => unknown }>();
  return {
    now: () => now,
    set: (ms) => void (now = ms),
    add: (ms) => void (now += ms),
    every(intervalMs, task) {
      const entry = { intervalMs, dueAt: now + intervalMs, task };
      tasks.add(entry);
      return () => void tasks.delete(entry);
    },
    async runDue() {
      for (const entry of [...tasks]) {
        if (entry.dueAt > now || !tasks.has(entry)) continue;
        entry.dueAt = now + entry.intervalMs;
        await entry.task();
      }
    },
  };
}
