/**
 * Issue 17 in the TUI, against a real daemon, pressing real keys and waiting for the frame:
 * the header's count of open alerts (red), the `!` view and acknowledging from it, a new
 * alert arriving live, the canary mark and the add form's canary, the deactivation reason in
 * the menu, and the "compromised: replace now" action.
 */
import chalk from 'chalk';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { cursorLine, KEY, press, SECRET, waitForFrame, waitForText } from './frames.js';
import { daemonPerTest, openApp } from './open-app.js';

let t: TestDaemon;
daemonPerTest({ get: () => t, set: (d) => (t = d) });

/** A deleted key presented once by `caller`: a `deleted_key.presented` alert. */
async function presentDeleted(name: string, caller: string): Promise<void> {
  const { key, secret } = await t.client.createKey(name);
  await t.client.deactivateKey(key.id);
  await t.client.deleteKey(key.id);
  await t.client.verify(secret, caller);
}

/** The panel's text as one line: its rows without the borders, joined where wrapping split them. */
function unwrapped(frame: string): string {
  return frame
    .split('\n')
    .map((line) => line.replace(/^│ ?/, '').replace(/ *│$/, '').trim())
    .join(' ');
}

describe('the alerts view when the daemon goes away', () => {
  it('says the daemon does not answer, not also "Loading…" and a count it does not know', async () => {
    const port = t.daemon.port;
    await t.stop();
    t = await startTestDaemon({ port });
    const { app } = await openApp(t);
    await waitForText(app, '● live');
    press(app, '!');
    await waitForText(app, 'Alerts · 0 open');
    await t.daemon.close();
    press(app, 't'); // acknowledged ones too: read again from the daemon, which is gone
    const frame = await waitForText(app, /does not answer|no keyward daemon/);
    expect(frame).not.toContain('Loading…');
    expect(frame).not.toContain('0 open');
    await t.restart();
  });
});

describe('alerts in the TUI', () => {
  it('acknowledges every open alert of a key with A, after asking, and leaves other keys\' alerts open', async () => {
    const bait = await t.client.createKey('bait', { canary: true });
    for (const crawler of ['crawler-1', 'crawler-2', 'crawler-3']) await t.client.verify(bait.secret, crawler);
    await presentDeleted('retired', 'old-cron');
    await t.client.alerts(); // the daemon writes the sightings (as its flush would within a second)
    const { app } = await openApp(t);
    await waitForText(app, '! 4 open alerts');
    press(app, '!');
    let frame = await waitForText(app, 'Alerts · 4 open');
    // The most recently seen first, likely the deleted key's: the cursor goes to one of the canary's.
    const onCanary = (f: string) => /›\s*●\s+canary tripped\s+bait/.test(f);
    if (!onCanary(frame)) {
      press(app, 'j');
      await waitForFrame(app, onCanary, 'the cursor on a canary alert');
    }
    press(app, 'A');
    frame = await waitForText(app, 'Acknowledge alerts');
    expect(unwrapped(frame)).toContain('Acknowledge 3 open alerts on "bait"?');
    press(app, 'y');
    await waitForText(app, 'Acknowledged 3 alerts on "bait"');
    frame = await waitForText(app, 'Alerts · 1 open');
    expect(frame).toMatch(/deleted key used\s+retired/);
    const open = (await t.client.alerts()).alerts;
    expect(open.map((a) => a.keyName)).toEqual(['retired']);
  });


  it('counts open alerts in the header in red, lists them on !, and acknowledges one with a', async () => {
    const bait = await t.client.createKey('bait', { canary: true });
    expect(await t.client.verify(bait.secret, 'crawler-7', { ip: '203.0.113.9' })).toEqual({ valid: false, code: 'not_found' });
    await t.client.alerts(); // the daemon writes the sighting (as its flush would within a second)
    // Colours on, as on a terminal, to see the count drawn red.
    const level = chalk.level;
    chalk.level = 1;
    onTestFinished(() => void (chalk.level = level));
    const { app } = await openApp(t);
    let frame = await waitForText(app, '! 1 open alert');
    expect(app.lastFrame(), 'drawn red').toMatch(/\x1b\[31m[^\n]*! 1 open alert/);
    expect(cursorLine(frame), 'the canary is marked in the table').toMatch(/bait\s+kw_\S+\s+canary/);

    press(app, '!');
    frame = await waitForText(app, 'Alerts · 1 open');
    expect(frame).toMatch(/›\s*●\s+canary tripped\s+bait\s+crawler-7\s+1\s+just now\s+203\.0\.113\.9/);
    press(app, 'a');
    await waitForText(app, 'Acknowledged: canary.tripped on "bait"');
    frame = await waitForText(app, 'No open alerts.');
    expect(frame, 'the header count goes with it').not.toContain('! 1 open alert');
    press(app, 't');
    frame = await waitForText(app, /✓\s+canary tripped\s+bait/);
    expect(frame).toContain('Alerts · 0 open · acknowledged ones too');
    expect((await t.client.alerts({ state: 'all' })).alerts[0]).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'admin' });
    press(app, KEY.escape);
    await waitForText(app, 'j/k move · ⏎ menu');
  });

  it('names an address once when the caller is that address, as a middleware labels an unlabelled request', async () => {
    const bait = await t.client.createKey('bait', { canary: true });
    await t.client.verify(bait.secret, '203.0.113.9', { ip: '203.0.113.9' });
    await t.client.alerts();
    const { app } = await openApp(t, { size: { columns: 120, rows: 35 } });
    await waitForText(app, '! 1 open alert');
    press(app, '!');
    const frame = await waitForText(app, 'Alerts · 1 open');
    expect(unwrapped(frame)).toContain('canary tripped: "bait" by 203.0.113.9 · once, ');
    expect(frame.match(/203\.0\.113\.9/g), 'in the CALLER column and the line below, not again as the DETAIL or "from"').toHaveLength(2);
  });

  it('shows the alert under the cursor in full below the list at 80×24, where the columns cut it (never SEEN)', async () => {
    // More alerts than the list has rows, so the detail rows must come out of the list's.
    for (let i = 0; i < 20; i++) await t.client.verify((await t.client.createKey(`trap-${i}`, { canary: true })).secret, `scanner-${i}`);
    const bait = await t.client.createKey('bait', { canary: true });
    await t.client.verify(bait.secret, 'nightly-billing-export-job', { ip: '2001:db8:ffff:1234::77' });
    await t.client.alerts();
    const { app } = await openApp(t, { size: { columns: 80, rows: 24 } });
    await waitForText(app, '! 21 open alerts');
    press(app, '!');
    let frame = await waitForText(app, 'Alerts · 21 open');
    const row = frame.split('\n').find((line) => /›\s*●\s+canary tripped/.test(line));
    expect(row, 'the row cuts the caller and drops the address, but not when it was seen').toMatch(/bait\s+nightly-billing…\s+1\s+just now +… │$/);
    expect(unwrapped(frame)).toContain('canary tripped: "bait" by nightly-billing-export-job from 2001:db8:ffff:1234::77 · once, ');
    const lines = frame.split('\n');
    expect(lines.length, 'one row shorter than the terminal').toBeLessThanOrEqual(23);
    expect(lines.some((l) => l.startsWith('╰')), 'the panel is whole').toBe(true);
    expect(lines.at(-1)).toContain('a acknowledge');
    press(app, 'a');
    frame = await waitForText(app, 'Alerts · 20 open');
    expect(unwrapped(frame), 'the next alert under the cursor, in full').toMatch(/canary tripped: "trap-\d+" by scanner-\d+ · once/);
    press(app, 't');
    await waitForText(app, /✓\s+canary tripped\s+bait/);
    press(app, 'k');
    frame = await waitForFrame(app, (f) => /acknowledged by admin \d{4}-/.test(unwrapped(f)), 'the acknowledgement in the detail');
    expect(unwrapped(frame)).toContain('canary tripped: "bait" by nightly-billing-export-job');
  });

  it('shows an alert raised while it is open: in the header and in the ! view', async () => {
    await t.client.createKey('idle');
    const { app } = await openApp(t);
    await waitForText(app, 'idle');
    press(app, '!');
    await waitForText(app, 'No open alerts.');
    await presentDeleted('old-partner', 'cron-a');
    // The daemon's flush (about once a second) writes and announces it.
    const frame = await waitForText(app, /deleted key used\s+old-partner\s+cron-a/, 10_000);
    expect(frame).toContain('! 1 open alert');
    expect(frame).toContain('Alerts · 1 open');
  });

  it('makes a canary from the add form\'s last field, and shows why an inactive key is off in its menu', async () => {
    const { app } = await openApp(t);
    await waitForText(app, 'No keys yet');
    press(app, 'a');
    await waitForText(app, 'Add a key');
    press(app, 'honeypot');
    await waitForText(app, 'Name: honeypot');
    // Up from the name goes round to the last field: the canary.
    press(app, KEY.up);
    await waitForText(app, 'a key planted to be stolen');
    press(app, 'yes');
    await waitForText(app, /Canary: yes/);
    press(app, KEY.enter);
    const secret = SECRET.exec(await waitForText(app, 'shown this once'))![0];
    expect(await t.client.verify(secret)).toEqual({ valid: false, code: 'not_found' });
    const [key] = (await t.client.listKeys()).keys;
    expect(key).toMatchObject({ name: 'honeypot', canary: true });
    press(app, 'y');
    await waitForFrame(app, (f) => /honeypot\s+kw_\S+\s+canary/.test(cursorLine(f) ?? ''), 'the new canary under the cursor');

    await t.client.deactivateKey(key!.id, 'leaked: deploy/.env:3');
    await waitForFrame(app, (f) => f.includes('1 inactive'), 'the deactivation');
    press(app, KEY.enter);
    const menu = await waitForText(app, 'Actions for "honeypot"');
    expect(menu).toContain('Inactive: leaked: deploy/.env:3 (a canary: presenting it still raises an alert)');
    expect(menu, 'a canary is not replaced').toMatch(/Compromised: replace now\s+E\s+\(a canary is not rotated/);
  });

  it('replaces a compromised key from the menu: asks (No by default), then the new secret and the rotation at double_check', async () => {
    const old = await t.client.createKey('payments');
    const { app } = await openApp(t);
    await waitForText(app, 'payments');
    press(app, KEY.enter);
    await waitForText(app, 'Compromised: replace now');
    press(app, 'E');
    await waitForText(app, '"payments" is compromised?');
    press(app, KEY.enter);
    await waitForText(app, 'j/k move · ⏎ menu');
    expect((await t.client.verify(old.secret)).valid, 'No changed nothing').toBe(true);

    // From the table too, as the menu's E says.
    press(app, 'E');
    await waitForText(app, '"payments" is compromised?');
    press(app, 'y');
    const secret = SECRET.exec(await waitForText(app, 'shown this once'))![0];
    expect(await t.client.verify(old.secret)).toEqual({ valid: false, code: 'inactive' });
    expect((await t.client.verify(secret)).valid).toBe(true);
    press(app, 'y');
    await waitForText(app, /double.check/i);
    const { rotations } = await t.client.rotations();
    expect(rotations).toMatchObject([{ oldKeyId: old.key.id, step: 'double_check' }]);
    expect((await t.client.getKey(old.key.id)).key.deactivationReason).toBe('compromised: emergency rotation');

    press(app, 'R');
    await waitForText(app, 'R restarts only a daemon this TUI started');
    press(app, KEY.escape);
    await waitForText(app, 'j/k move · ⏎ menu');
    press(app, 'E');
    await waitForText(app, 'Compromised: replace now: already being replaced (double_check)');
  });
});
