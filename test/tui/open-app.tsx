/** Renders the TUI against a real test daemon, with a fixed size and a captured clipboard. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, beforeEach } from 'vitest';
import { KeywardClient } from '../../src/client/client.js';
import { App, type AppProps } from '../../src/tui/App.js';
import type { TerminalEnv } from '../../src/tui/clipboard.js';
import type { FeedOptions } from '../../src/tui/feed.js';
import type { Size } from '../../src/tui/hooks/useTerminalSize.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

export type OpenOptions = {
  size?: Size;
  token?: string;
  env?: TerminalEnv;
  props?: Pick<AppProps, 'redraw' | 'onSecret' | 'restartDaemon'>;
  /** How the TUI's client sends requests (to see what it sent). */
  fetch?: typeof fetch;
  /** Feed settings beyond the fast timings every test gets (e.g. a small window). */
  feed?: FeedOptions;
};

export async function openApp(t: TestDaemon, options: OpenOptions = {}) {
  const client =
    options.token || options.fetch ? new KeywardClient({ url: t.url, token: options.token ?? t.adminToken, fetch: options.fetch }) : t.client;
  const { operator } = await client.me();
  const clipboard: string[] = [];
  const size = options.size ?? { columns: 100, rows: 30 };
  const element = (at: Size) => (
    <App
      client={client}
      operator={operator}
      size={at}
      writeRaw={(data) => clipboard.push(data)}
      env={options.env ?? {}}
      feedOptions={{ batchMs: 10, backoff: { minMs: 50, maxMs: 200 }, ...options.feed }}
      {...options.props}
    />
  );
  const app = render(element(size));
  return { app, clipboard, client, resize: (to: Size) => app.rerender(element(to)) };
}

/**
 * A fresh daemon for each test. `get` is read afterwards, so a test that swaps in another
 * daemon still has that one stopped.
 */
export function daemonPerTest(slot: { get(): TestDaemon; set(t: TestDaemon): void }): void {
  beforeEach(async () => {
    slot.set(await startTestDaemon());
  });
  afterEach(async () => {
    cleanup();
    await slot.get().stop();
  });
}
