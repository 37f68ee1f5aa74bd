/**
 * vitest's file order, with the files that take long in wall time (child processes, sockets,
 * PostgreSQL, a fuzzer's time budget) moved to the front, longest kind first. vitest orders by
 * the durations of the last run when it has them, but a fresh clone (CI) has none and falls
 * back to file size, which started the 60-second crash test near the end of the run: the last
 * minute then ran it almost alone. Started first, such files overlap the CPU-bound rest.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Path prefixes, in the order their files should start. */
const LONG_FIRST = [
  'test/reliability/crash.test.ts',
  'test/cli/',
  'test/reliability/',
  'test/pg/',
  'test/store/pg.test.ts',
  'test/tui/tmux.test.ts',
  'test/replica/',
];

export default class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const rank = (spec: TestSpecification) => {
      const path = relative(root, spec.moduleId);
      const at = LONG_FIRST.findIndex((prefix) => path.startsWith(prefix));
      return at === -1 ? LONG_FIRST.length : at;
    };
    const sorted = await super.sort(files);
    return sorted
      .map((spec, position) => ({ spec, position, rank: rank(spec) }))
      .sort((a, b) => a.rank - b.rank || a.position - b.position)
      .map(({ spec }) => spec);
  }
}
