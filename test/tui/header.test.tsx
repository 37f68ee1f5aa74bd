/**
 * The header drawn on its own at 80 columns: a daemon that cannot reach its store says so, since
 * when and why ahead of the address (which a narrow terminal cuts first), and offers no restart;
 * a large count of open alerts reads with its thousands separated, as every other count does.
 */
import { Box } from 'ink';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { Header, type HeaderProps } from '../../src/tui/components/Header.js';

const NONE = { leaked: 0, tripped: 0, expired: 0, expiring: 0, unused: 0 };
const LIVE: HeaderProps = {
  url: 'http://127.0.0.1:7420',
  operator: 'admin',
  role: 'admin',
  link: 'live',
  problem: undefined,
  staleSince: undefined,
  canRestart: true,
  width: 80,
  loaded: true,
  active: 3,
  inactive: 0,
  attention: NONE,
  rotating: 0,
  alerts: 0,
  sort: 'name ▲',
  filter: '',
  shown: 3,
};
const REASON = 'PostgreSQL cannot be followed now (unreachable, or catching up after a lost connection): verify answers from memory, writes may fail with 503 store_unavailable';

const unmounts: (() => void)[] = [];
afterEach(() => unmounts.splice(0).forEach((unmount) => unmount()));

function lines(props: HeaderProps): string[] {
  const { lastFrame, unmount } = render(
    <Box width={80}>
      <Header {...props} />
    </Box>,
  );
  unmounts.push(unmount);
  return lastFrame()!.split('\n');
}

describe('the header', () => {
  it('leads with the address while live, unless a long operator name would push the state off the line', () => {
    expect(lines(LIVE)[0]).toBe('keyward  http://127.0.0.1:7420 · admin (admin) · ● live');
    const long = { ...LIVE, operator: 'o'.repeat(60) };
    expect(lines(long)[0]).toMatch(/^keyward {2}● live · http:\/\/127\.0\.0\.1:7420 · o+/);
  });

  it('says degraded, since when and the daemon\'s reason before the address, with no restart offered', () => {
    const [first] = lines({ ...LIVE, link: 'degraded', problem: REASON, staleSince: Date.now() });
    expect(first).toMatch(/^keyward  ◐ degraded since \d\d:\d\d(:\d\d)? · PostgreSQL cannot be followed now/);
    expect(first).not.toContain('R restarts');
    expect(first!.length, 'cut to the terminal').toBeLessThanOrEqual(80);
  });

  it('counts open alerts with their thousands separated', () => {
    expect(lines({ ...LIVE, alerts: 1_200 })[1]).toContain('! 1,200 open alerts');
  });
});
