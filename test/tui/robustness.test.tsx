/**
 * Issue 18 items 2–6 in the ink-testing-library tier, against a real daemon: Ctrl-L, help that
 * scrolls and fits 80×24, Ctrl-C over a shown-once secret, stale data while the daemon is
 * away (and `R`), and time-based labels that move on by themselves. (Resizes and stray output
 * on a real terminal: tmux.test.ts.)
 */
import chalk from 'chalk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ShownSecret } from '../../src/tui/App.js';
import { lostSecretLine } from '../../src/tui/session.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { addKey, cursorLine, exited, KEY, press, screen, waitForFrame, waitForText } from './frames.js';
import { daemonPerTest, openApp } from './open-app.js';

let t: TestDaemon;
daemonPerTest({ get: () => t, set: (d) => (t = d) });

const SMALL = { columns: 80, rows: 24 };

describe('Ctrl-L', () => {
  it('asks the terminal for a full repaint from any screen', async () => {
    await t.client.createKey('billing');
    let redraws = 0;
    const { app } = await openApp(t, { props: { redraw: () => redraws++ } });
    await waitForText(app, 'billing');
    press(app, KEY.ctrlL);
    await waitForFrame(app, () => redraws === 1, 'a redraw from the table');
    press(app, 'a');
    await waitForText(app, 'Add a key');
    press(app, KEY.ctrlL);
    await waitForFrame(app, () => redraws === 2, 'a redraw from a text field');
    expect(screen(app), 'Ctrl-L types nothing').toContain('Name: █');
  });
});

describe('help', () => {
  it('is a list that fits 80×24, scrolls with j/k, PgDn and G, and searches with /', async () => {
    await t.client.createKey('billing');
    const { app } = await openApp(t, { size: SMALL });
    await waitForText(app, 'billing');
    press(app, '?');
    let frame = await waitForText(app, 'Keys table (this screen)');
    const lines = frame.split('\n');
    expect(lines.length, 'one row shorter than the terminal').toBeLessThanOrEqual(23);
    expect(Math.max(...lines.map((l) => [...l].length)), 'no line wider than the terminal').toBeLessThanOrEqual(80);
    const range = () => /· (\d+)–(\d+) of (\d+)/.exec(screen(app))!.slice(1).map(Number);
    const [first, last, total] = range();
    expect(first).toBe(1);
    expect(total, 'more lines than fit').toBeGreaterThan(last!);
    press(app, 'j');
    await waitForFrame(app, () => range()[0] === 2, 'one line down');
    press(app, KEY.pageDown);
    await waitForFrame(app, () => range()[0]! > 2, 'a page down');
    press(app, 'G');
    frame = await waitForFrame(app, () => range()[1] === total, 'the end');
    expect(frame).toContain('redraw the screen');
    press(app, 'g', '/');
    await waitForText(app, '⏎ keep');
    press(app, 'roll back');
    frame = await waitForText(app, 'roll back (double-check)');
    expect(frame, 'only the matching keys').not.toContain('next key');
    press(app, KEY.enter);
    await waitForText(app, 'j/k scroll');
    expect(screen(app), 'the search stays').toContain('/roll back');
    press(app, KEY.escape);
    await waitForText(app, 'j/k move');
  });

  it('lists the keys of the screen it was opened from first', async () => {
    await t.client.createKey('billing');
    const { app } = await openApp(t, { size: SMALL });
    await waitForText(app, 'billing');
    press(app, 'u');
    await waitForText(app, 'Usage of "billing"');
    press(app, '?');
    let frame = await waitForText(app, 'Usage (this screen)');
    expect(frame.indexOf('Usage (this screen)'), 'first').toBeLessThan(frame.indexOf('Keys table'));
    press(app, KEY.escape);
    await waitForText(app, 'Usage of "billing"');
    press(app, KEY.escape);
    await waitForText(app, 'j/k move');
    press(app, KEY.enter);
    await waitForText(app, 'Actions for "billing"');
    press(app, '?');
    frame = await waitForText(app, 'Action menu (this screen)');
    press(app, 'q');
    await waitForText(app, 'Actions for "billing"');
  });
});

describe('a slow link', () => {
  it('takes a name and the Enter after it read together as typing, then Enter', async () => {
    const { app } = await openApp(t);
    await waitForText(app, 'No keys yet');
    press(app, 'a');
    await waitForText(app, 'Add a key');
    press(app, 'billing\r');
    await waitForText(app, 'Secret of "billing": shown this once');
  });
});

describe('Ctrl-C', () => {
  it('asks first while a secret is on screen, then quits and names the key whose secret was lost', async () => {
    const shown: ShownSecret[] = [];
    const { app } = await openApp(t, { props: { onSecret: (s) => shown.push(s) } });
    await waitForText(app, 'No keys yet');
    const secret = await addKey(app, 'billing');
    press(app, KEY.ctrlC);
    const frame = await waitForText(app, 'A secret is on screen and will be lost — Ctrl-C again to quit');
    expect(frame, 'the secret stays').toContain(secret);
    expect(exited(app)).toBe(false);
    const [key] = (await t.client.listKeys()).keys;
    expect(shown.at(-1), 'the session knows whose secret is on screen').toEqual({ keyId: key!.id, keyName: 'billing' });
    press(app, KEY.ctrlC);
    await waitForFrame(app, () => exited(app), 'the app to exit');
    expect(shown.at(-1), 'still unconfirmed as the TUI goes').toEqual({ keyId: key!.id, keyName: 'billing' });
    const line = lostSecretLine(shown.at(-1)!);
    expect(line).toMatch(new RegExp(`^keyward: the secret of key "billing" \\(${key!.id}\\) was shown but never confirmed as stored.*\\n$`));
    expect(line.split('\n').length, 'one line').toBe(2);
    expect(line, 'never the secret itself').not.toContain(secret);
  });

  it('quits at once when no secret is on screen, and a confirmed secret is forgotten', async () => {
    const shown: ShownSecret[] = [];
    const { app } = await openApp(t, { props: { onSecret: (s) => shown.push(s) } });
    await waitForText(app, 'No keys yet');
    await addKey(app, 'billing');
    press(app, 'y');
    await waitForText(app, 'Closed the secret of "billing"');
    await waitForFrame(app, () => shown.at(-1) === undefined, 'the secret reported closed');
    press(app, KEY.ctrlC);
    await waitForFrame(app, () => exited(app), 'the app to exit');
  });
});

describe('a daemon that went away', () => {
  // Styles are what this shows: draw them, as on a colour terminal.
  const level = chalk.level;
  beforeEach(() => {
    chalk.level = 1;
  });
  afterEach(() => {
    chalk.level = level;
  });

  it('dims the table, says since when it is stale, and R starts the daemon again', async () => {
    const port = t.daemon.port;
    await t.stop();
    t = await startTestDaemon({ port });
    await t.client.createKey('billing');
    let restarts = 0;
    const restartDaemon = async () => {
      restarts++;
      await t.restart();
      return 'Started the daemon again (pid 1)';
    };
    const { app } = await openApp(t, { props: { restartDaemon } });
    await waitForText(app, '● live');
    const row = () => app.lastFrame()!.split('\n').find((l) => l.includes('billing'))!;
    expect(row(), 'the selected row is drawn inverse').toContain('\x1b[7m');
    expect(row(), 'live rows are not dim').not.toMatch(/^(\x1b\[7m)?\x1b\[2m/);
    await t.daemon.close();
    const frame = await waitForText(app, /data as of \d\d:\d\d:\d\d/);
    expect(frame).toContain('R restarts the daemon');
    expect(frame, 'the last known keys stay on screen').toContain('billing');
    expect(row(), 'the stale row is dim').toMatch(/^(\x1b\[7m)?\x1b\[2m/);
    press(app, 'R');
    await waitForText(app, 'Started the daemon again');
    await waitForText(app, '● live', 2000);
    expect(restarts).toBe(1);
    expect(screen(app)).not.toContain('data as of');
  });

  it('says R is only for a daemon the TUI started', async () => {
    await t.client.createKey('billing');
    const { app } = await openApp(t);
    await waitForText(app, '● live');
    press(app, 'R');
    await waitForText(app, '✗ R restarts only a daemon this TUI started');
  });
});

describe('time-based labels', () => {
  it('count seconds to an expiry and turn the status to expired when it passes, with no event', async () => {
    await t.client.createKey('soon', new Date(Date.now() + 4000).toISOString());
    await t.client.createKey('later', new Date(Date.now() + 3 * 3_600_000).toISOString());
    const { app } = await openApp(t);
    let frame = await waitForText(app, /expires [1-4]s/);
    expect(frame, 'hours, not days, for a key expiring today').toContain('expires 3h');
    expect(cursorLine(frame)).toMatch(/later\s+kw_\S+\s+active/);
    frame = await waitForFrame(app, (f) => /soon\s+kw_\S+\s+expired/.test(f), 'status expired', 8000);
    expect(frame, 'the header counts it').toContain('(1 expired, 1 expiring)');
  });
});
