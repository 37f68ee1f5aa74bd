/**
 * Issue 18 items 1, 2 and 4 on a real terminal (tmux): a resize repaints everything, Ctrl-L
 * redraws over whatever else wrote on the terminal, nothing but the TUI writes to it while it
 * runs, and Ctrl-C over a shown-once secret asks first and then names the key on stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { homeFiles } from '../../src/home.js';
import { cleanEnv, KEYWARD } from '../helpers/cli.js';
import { freePort, startTestDaemon, tempHome, type TestDaemon } from '../helpers/daemon.js';
import { hasTmux, openTerminal, stopTmux, type Terminal } from './tmux.js';

let t: TestDaemon;
let term: Terminal | undefined;

beforeEach(async () => {
  t = await startTestDaemon();
});
afterEach(async () => {
  term?.stop();
  term = undefined;
  await t.stop();
});
afterAll(stopTmux);

/** Opens the TUI on the test daemon's home (its daemon.json and admin token). */
function open(name: string, columns: number, rows: number, options?: Parameters<typeof openTerminal>[4]): Terminal {
  term = openTerminal(name, columns, rows, ['--home', t.home], options);
  return term;
}

/**
 * A whole frame in its place on a `columns`×`rows` terminal: the header's two lines on top,
 * one column header, the footer on the second-last row, nothing wider than the terminal.
 */
function intact(screen: string, columns: number, rows: number): boolean {
  const lines = screen.split('\n');
  return (
    lines[0]!.startsWith('keyward  ') &&
    /^\d+ keys?:/.test(lines[1]!) &&
    lines.filter((l) => /^\s+NAME/.test(l)).length === 1 &&
    lines[rows - 2]!.startsWith('j/k move') &&
    lines.every((l) => [...l].length <= columns)
  );
}

describe.skipIf(!hasTmux)('the TUI on a real terminal', () => {
  it('R says where a daemon started by hand on another port answers, instead of that it answers again', async () => {
    const home = tempHome();
    const [first, second] = [await freePort(), await freePort()];
    const stop = () => spawnSync(KEYWARD[0], [...KEYWARD.slice(1), 'daemon', 'stop', '--home', home], { env: cleanEnv() });
    onTestFinished(() => {
      stop();
      rmSync(home, { recursive: true, force: true });
    });
    // The TUI starts the home's daemon itself (on KEYWARD_PORT): R is its to restart.
    term = openTerminal('moved', 100, 30, ['--home', home], { env: { KEYWARD_PORT: String(first) } });
    await term.waitFor((s) => s.includes('● live'), 'the TUI on the daemon it started', 20_000);
    stop();
    await term.waitFor((s) => s.includes('reconnecting'), 'reconnecting');
    const moved = spawn(KEYWARD[0], [...KEYWARD.slice(1), 'daemon', '--home', home, '--port', String(second)], { env: cleanEnv(), stdio: 'ignore', detached: true });
    moved.unref();
    await vi.waitFor(() => expect(readFileSync(join(home, 'daemon.json'), 'utf8')).toContain(`:${second}`), { timeout: 20_000, interval: 100 });
    term.keys('R');
    const shown = await term.waitFor((s) => s.includes('a daemon answers for this home at'), 'where the daemon answers');
    expect(shown.replace(/\s+/g, ' ')).toContain(`at http://127.0.0.1:${second}, not at http://127.0.0.1:${first}, where this TUI is connected: quit (q) and start keyward again`);
    expect(shown).not.toContain('The daemon answers again');
  });

  it('draws no colour or other style under NO_COLOR, as the built command runs', async () => {
    await t.client.createKey('alpha');
    const SGR = /\x1b\[[\d;]*m/;
    const plain = open('no-color', 80, 24, { env: { NO_COLOR: '1' } });
    await plain.waitFor((s) => s.includes('● live') && s.includes('alpha'), 'the table');
    expect(plain.styled()).not.toMatch(SGR);
    plain.stop();
    const styled = open('colour', 80, 24);
    await styled.waitFor((s) => s.includes('● live') && s.includes('alpha'), 'the table');
    expect(styled.styled(), 'without NO_COLOR the same frame is styled').toMatch(SGR);
  });

  it('repaints everything on a resize: 120×35 → 70×20 and 80×35 → 80×24, through key presses', async () => {
    for (let i = 0; i < 40; i++) await t.client.createKey(`key-${String(i).padStart(2, '0')}`);
    const tui = open('resize', 120, 35);
    await tui.waitFor((s) => s.includes('● live') && intact(s, 120, 35), 'the table');
    tui.keys('G');
    await tui.waitFor((s) => /^› key-39/m.test(s), 'the cursor on the last key');
    tui.resize(70, 20);
    let shown = await tui.waitFor((s) => intact(s, 70, 20) && !s.includes('HINT'), 'the 70-column layout');
    expect(shown).toMatch(/^› key-39/m);
    tui.keys('k');
    shown = await tui.waitFor((s) => /^› key-38/m.test(s), 'a key press after the resize');
    expect(intact(shown, 70, 20), shown).toBe(true);
    tui.resize(80, 35);
    await tui.waitFor((s) => intact(s, 80, 35) && s.includes('HINT'), 'the 80×35 layout');
    tui.resize(80, 24);
    shown = await tui.waitFor((s) => intact(s, 80, 24), 'the 80×24 layout');
    tui.keys('k');
    shown = await tui.waitFor((s) => /^› key-37/m.test(s), 'a key press after the second resize');
    expect(intact(shown, 80, 24), shown).toBe(true);
  });

  it('redraws the whole screen on Ctrl-L after something else wrote on the terminal', async () => {
    await t.client.createKey('billing');
    const tui = open('redraw', 100, 30);
    await tui.waitFor((s) => s.includes('● live') && s.includes('billing'), 'the table');
    writeFileSync(tui.tty(), '\x1b[5;1Hsomething else wrote here\x1b[1;1Hmore');
    await tui.waitFor((s) => s.includes('something else wrote here'), 'the stray text');
    tui.keys('C-l');
    const shown = await tui.waitFor((s) => !s.includes('something else') && !s.includes('more'), 'a clean frame');
    expect(intact(shown, 100, 30), shown).toBe(true);
  });

  it('draws the last column: a full-width panel keeps its right border', async () => {
    const tui = open('edge', 100, 30);
    await tui.waitFor((s) => s.includes('● live'), 'the table');
    tui.keys('?');
    const panelOf = (s: string) => s.split('\n').filter((l) => /^[╭│╰]/.test(l));
    // On a loaded box the help's first lines can be on screen before its last: wait for it whole.
    const shown = await tui.waitFor((s) => s.includes('Keys table (this screen)') && panelOf(s).length > 20, 'the whole help panel');
    const panel = panelOf(shown);
    expect(panel.length).toBeGreaterThan(20);
    for (const line of panel) expect([...line].at(-1), line).toMatch(/[╮│╯]/);
  });

  it('sends warnings, console output and stderr writes to tui.log, never onto the frame', async () => {
    await t.client.createKey('billing');
    const pidFile = join(t.home, 'noisy.pid');
    const tui = open('noisy', 100, 30, { imports: ['./test/tui/fixtures/noisy.ts'], env: { NOISY_PID_FILE: pidFile } });
    await tui.waitFor((s) => s.includes('● live') && s.includes('billing'), 'the table');
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGUSR2');
    const log = homeFiles(t.home).tuiLog;
    const lines = ['noisy warning from a dependency', 'noisy console.error', 'noisy console.log', 'noisy stderr write'];
    await expect
      .poll(() => (existsSync(log) ? readFileSync(log, 'utf8') : ''), { timeout: 5000, interval: 50 })
      .toSatisfy((text: string) => lines.every((l) => text.includes(l)), 'all of it is in the log');
    tui.keys('j');
    const shown = await tui.waitFor((s) => intact(s, 100, 30), 'the frame after a key');
    expect(shown, 'none of it on screen').not.toContain('noisy');
  });

  it('asks before Ctrl-C discards a shown secret, then says on stderr whose it was', async () => {
    const tui = open('secret', 100, 30);
    await tui.waitFor((s) => s.includes('● live') && s.includes('No keys yet'), 'the empty table');
    tui.keys('a');
    await tui.waitFor((s) => s.includes('Add a key'), 'the add dialog');
    tui.type('lost-key');
    tui.keys('Enter');
    const reveal = await tui.waitFor((s) => /kw_[0-9A-Za-z]{40,}/.test(s), 'the secret');
    const secret = /kw_[0-9A-Za-z]{40,}/.exec(reveal)![0];
    tui.keys('C-c');
    const asked = await tui.waitFor((s) => s.includes('Ctrl-C again to quit'), 'the question');
    expect(asked, 'still on screen').toContain(secret);
    tui.keys('C-c');
    const after = await tui.waitFor((s) => s.includes('[exited'), 'the TUI to end');
    const { keys } = await t.client.listKeys();
    // The line wraps at the terminal's edge (and capture-pane drops the space at a break).
    const squeezed = (text: string) => text.replace(/\s/g, '');
    expect(squeezed(after)).toContain(squeezed(`keyward: the secret of key "lost-key" (${keys[0]!.id}) was shown but never confirmed as stored`));
    expect(after).toContain('[exited 0]');
    expect(after, 'the shell is back, without the secret').not.toContain(secret);
  });
});
