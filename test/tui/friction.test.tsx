/**
 * Issue 18 item 11, the smaller friction, against a real daemon with real keystrokes: the
 * selection across the row, the sort's column and direction, the footer, the menu cursor,
 * reasons and prompts that wrap instead of being cut or indented, toasts, and `i`.
 */
import chalk from 'chalk';
import { describe, expect, it } from 'vitest';
import type { TestDaemon } from '../helpers/daemon.js';
import { addKey, cursorLine, KEY, press, screen, waitForFrame, waitForText } from './frames.js';
import { daemonPerTest, openApp } from './open-app.js';

let t: TestDaemon;
daemonPerTest({ get: () => t, set: (d) => (t = d) });

/** The lines between a panel's top and bottom border, without the border. */
function panelLines(frame: string): string[] {
  return frame
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) => line.slice(1, line.lastIndexOf('│')));
}

describe('the key table', () => {
  it('draws the selected row inverse across the whole width', async () => {
    await t.client.createKey('billing');
    const level = chalk.level;
    chalk.level = 1;
    try {
      const { app } = await openApp(t, { size: { columns: 100, rows: 20 } });
      await waitForText(app, 'billing');
      const raw = app.lastFrame()!.split('\n').find((l) => l.includes('billing'))!;
      expect(raw.startsWith('\x1b[7m'), 'inverse from the first column').toBe(true);
      expect([...cursorLine(screen(app))!].length, 'to the last column').toBe(100);
    } finally {
      chalk.level = level;
    }
  });

  it('marks the sorted column with its direction, and S reverses it', async () => {
    for (const name of ['alpha', 'bravo', 'charlie']) await t.client.createKey(name);
    const { app } = await openApp(t);
    let frame = await waitForText(app, 'charlie');
    expect(frame).toMatch(/NAME ▲/);
    expect(frame).toContain('sort: name ▲');
    press(app, 'S');
    frame = await waitForText(app, 'sort: name ▼');
    expect(frame).toMatch(/NAME ▼/);
    expect(frame.indexOf('charlie'), 'Z→A').toBeLessThan(frame.indexOf('alpha'));
    expect(cursorLine(frame), 'the cursor stays on its key').toContain('alpha');
    press(app, 's');
    frame = await waitForText(app, 'sort: created ▼');
    expect(frame, 'the next column, in its natural direction').toMatch(/CREATED ▼/);
    expect(frame).not.toMatch(/NAME [▲▼]/);
  });

  it('lists A audit in an admin\'s footer at 120 columns', async () => {
    await t.client.createKey('billing');
    const { app } = await openApp(t, { size: { columns: 120, rows: 30 } });
    const frame = await waitForText(app, 'billing');
    const footer = frame.split('\n').at(-1)!;
    expect(footer).toContain('A audit');
    expect(footer).toContain('D delete');
    expect(footer.endsWith('? help · q quit'), footer).toBe(true);
  });

  it('copies the id of the key under the cursor with i', async () => {
    const { key } = await t.client.createKey('billing');
    const { app, clipboard } = await openApp(t);
    await waitForText(app, 'billing');
    press(app, 'i');
    await waitForText(app, `Sent the id ${key.id} to the clipboard`);
    expect(clipboard).toEqual([`\x1b]52;c;${Buffer.from(key.id).toString('base64')}\x07`]);
  });
});

describe('the action menu', () => {
  it('starts on the first action the operator may take', async () => {
    await t.client.createKey('billing');
    const { token } = await t.client.createOperator('eve', 'viewer');
    const { app } = await openApp(t, { token });
    await waitForText(app, 'billing');
    press(app, KEY.enter);
    const frame = await waitForText(app, 'Actions for "billing"');
    expect(frame.split('\n').find((l) => l.includes('›')), 'a viewer starts on Usage').toMatch(/›\s+Usage/);
  });

  it('shows a refusal\'s whole reason while there is room, wrapped on a narrow terminal', async () => {
    await t.client.createKey('billing');
    const { app, resize } = await openApp(t, { size: { columns: 120, rows: 30 } });
    await waitForText(app, 'billing');
    press(app, KEY.enter);
    let frame = await waitForText(app, 'Actions for "billing"');
    expect(frame).toContain('(only an inactive key can be deleted: deactivate it first (x))');
    resize({ columns: 60, rows: 20 });
    frame = await waitForFrame(app, (f) => f.split('\n').every((l) => [...l].length <= 60), 'the narrow layout');
    const text = panelLines(frame).join(' ').replace(/\s+/g, ' ');
    expect(text, 'all of it, over two lines').toContain('(only an inactive key can be deleted: deactivate it first (x))');
  });
});

describe('prompts and toasts', () => {
  it('wraps a question without a stray space at the start of a line', async () => {
    await t.client.createKey('old-billing');
    const { app } = await openApp(t, { size: { columns: 60, rows: 20 } });
    await waitForText(app, 'old-billing');
    press(app, 'x');
    const frame = await waitForText(app, 'Deactivate "old-billing"?');
    const lines = panelLines(frame).filter((l) => l.trim());
    expect(lines.length, 'the question wraps').toBeGreaterThan(3);
    for (const line of lines) expect(line, 'one space of padding, then text').toMatch(/^ \S/);
  });

  it('confirms a stored secret, and the next answer clears a stale toast', async () => {
    await t.client.createKey('live-key');
    const { app } = await openApp(t);
    await waitForText(app, 'live-key');
    press(app, 'D');
    await waitForText(app, '✗ only an inactive key can be deleted');
    press(app, 'x');
    await waitForText(app, 'Deactivate "live-key"?');
    press(app, 'n');
    await waitForFrame(app, (f) => !f.includes('only an inactive key') && f.includes('j/k move'), 'the old toast gone');

    const secret = await addKey(app, 'billing');
    press(app, 'y');
    const frame = await waitForText(app, 'Closed the secret of "billing": keyward keeps only its hash from here on');
    expect(frame).not.toContain(secret);
  });
});
