/**
 * A vitest reporter beside the default one: after the summary, the ten test files that took
 * longest (import plus tests and hooks), so a file that slows the suite down is seen in every
 * run. It only adds lines; failures and the exit code stay the default reporter's.
 */
import type { Reporter, TestModule } from 'vitest/node';

const SHOWN = 10;

export default class SlowestFiles implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const projects = new Set(modules.map((m) => m.project.name));
    const rows = modules
      .map((m) => {
        const { collectDuration, duration } = m.diagnostic();
        const project = projects.size > 1 ? ` [${m.project.name}]` : '';
        return { name: `${m.relativeModuleId}${project}`, ms: collectDuration + duration, state: m.state() };
      })
      .sort((a, b) => b.ms - a.ms)
      .slice(0, SHOWN);
    if (rows.length === 0) return;
    const lines = rows.map(({ name, ms, state }) => `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${name}${state === 'failed' ? '  (failed)' : ''}`);
    process.stdout.write(`\nSlowest ${rows.length} test files:\n${lines.join('\n')}\n`);
  }
}
