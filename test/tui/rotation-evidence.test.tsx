/**
 * Issue 18 items 7–10 in the TUI, against a real daemon and real keypresses: the watch window
 * chosen at the start and counted down after the cut-over, the systems to update split by who
 * switched, the questions that name callers, the scheduled cut-over, the cancelled rotation's
 * new key, `D` on a key still presented, and the audit view's filter and paging.
 */
import { describe, expect, it } from 'vitest';
import { startTestDaemon, storeQuery, type TestDaemon } from '../helpers/daemon.js';
import { cursorLine, KEY, press, screen, SECRET, waitForFrame, waitForText } from './frames.js';
import { daemonPerTest, openApp } from './open-app.js';
import { rotationAtDoubleCheck } from './rotation-setup.js';

let t: TestDaemon;
daemonPerTest({ get: () => t, set: (d) => (t = d) });

/** The frame with panel borders and line breaks folded away, to find wrapped sentences. */
const flat = (frame: string) => frame.replace(/[│╭╮╰╯─\s]+/g, ' ');

/** The stepper line marked current. */
const currentStep = (frame: string) => frame.split('\n').find((line) => line.includes('› ') && /\d\. /.test(line));

/** The TUI on `name`, whose rotation is open (its new key `name-2`), opened with `r` on it. */
async function openRotationOf(name: string, size?: { columns: number; rows: number }) {
  const { app } = await openApp(t, size && { size });
  await waitForText(app, `${name}-2`);
  await waitForFrame(app, (f) => cursorLine(f)?.includes(`${name} `) === true, `the cursor on ${name}`);
  press(app, 'r');
  await waitForText(app, `Rotating "${name}" → "${name}-2"`);
  return app;
}

describe('rotation evidence in the TUI', () => {
  it('starts with the chosen watch window, lists the systems to update, marks who switched and names who has not before the cut-over', async () => {
    const old = await t.client.createKey('ledger');
    await t.client.verify(old.secret, 'nightly-cron');
    await t.client.verify(old.secret, 'orders');
    const { app } = await openApp(t);
    await waitForText(app, 'ledger');
    press(app, 'r');
    await waitForText(app, '› 1. 10 minutes (default)');
    press(app, 'j');
    await waitForText(app, '› 2. 1 hour');
    press(app, KEY.enter);
    const reveal = await waitForText(app, 'Secret of "ledger-2": shown this once');
    const newSecret = SECRET.exec(reveal)![0];
    const [rotation] = (await t.client.rotations()).rotations;
    expect(rotation!.watchSeconds, 'the window chosen').toBe(3600);
    press(app, 'y');
    let frame = await waitForText(app, "Systems to update: the old key's callers (2)");
    expect(frame).toMatch(/orders\s+old key just now\s+not on the new key yet/);
    expect(frame).toMatch(/nightly-cron\s+old key just now\s+not on the new key yet/);

    press(app, 'n');
    await waitForText(app, 'Systems to update (2)');
    await t.client.verify(newSecret, 'orders');
    frame = await waitForText(app, /orders\s+old key just now\s+✓ new key just now/, 3000);
    expect(frame).toMatch(/nightly-cron\s+old key just now\s+not on the new key yet/);

    press(app, 'n');
    await waitForText(app, 'When should the old key "ledger" be deactivated?');
    press(app, '1');
    frame = await waitForText(app, 'Yet to switch: seen on the old key, not on the new one (1)');
    expect(currentStep(frame)).toContain('3. Deactivate the old key');
    expect(frame).toMatch(/nightly-cron\s+old key just now\s+not on the new key yet/);
    expect(frame).toContain('Switched (1): orders');
    press(app, 'n');
    frame = await waitForText(app, 'Deactivate the old key "ledger" now?');
    expect(flat(frame)).toContain('Not seen on the new key, and refused from then on if still on the old: nightly-cron (last seen just now).');
    press(app, KEY.escape);
    await waitForFrame(app, (f) => !f.includes('Deactivate the old key "ledger" now?'), 'the question closed');
    expect((await t.client.getKey(old.key.id)).key.status, 'No changed nothing').toBe('active');
  });

  it('fits a refusal naming many systems at 80×24, its box whole and the force line in it', async () => {
    const { old } = await rotationAtDoubleCheck(t, 'books');
    for (let i = 0; i < 7; i++) await t.client.verify(old.secret, `batch-worker-in-region-${i}-of-the-eu-cluster`);
    await t.daemon.core.usage.flush();
    const { app } = await openApp(t, { size: { columns: 80, rows: 24 } });
    await waitForText(app, 'books-2');
    press(app, 'r');
    await waitForText(app, 'old key presented 7 times');
    press(app, 'n');
    const frame = await waitForText(app, 'Refused: The old key was presented 7 times');
    const lines = frame.split('\n');
    const force = lines.findIndex((l) => l.includes('F = FORCE'));
    expect(force, 'the force line is on screen').toBeGreaterThan(0);
    expect(lines.findIndex((l) => /└─+┘/.test(l)), 'the refusal box is closed below it').toBeGreaterThan(force);
    expect(frame, 'the callers give way to where they are listed').toContain('7 callers presented the old key: keyward keys usage lists them');
    expect(lines.some((l) => l.startsWith('╰')), "the panel's bottom border").toBe(true);
  });

  it('counts the watch window down after the cut-over and lets the guard pass once it is up', async () => {
    await t.stop();
    let clock = Date.now();
    t = await startTestDaemon({ now: () => clock });
    const { newSecret } = await rotationAtDoubleCheck(t, 'mail', 60);
    const { app } = await openApp(t);
    await waitForText(app, 'mail-2');
    press(app, 'r');
    let frame = await waitForText(app, /Watched \d+s of 1m · \d+s left/);
    expect(frame, 'the countdown says what holds the guard; no stale daemon sentence beside it').not.toContain('Guard:');
    // The countdown moves between reads of the rotation, on the TUI's own clock.
    const first = /Watched (\d+)s/.exec(frame)![1]!;
    frame = await waitForFrame(app, (f) => /Watched (\d+)s/.exec(f)?.[1] !== first, 'the countdown to move', 3000);
    press(app, 'n');
    await waitForText(app, 'Refused: Traffic has been watched');

    // The daemon's minute passes; any news of the rotation's keys reads it again.
    clock += 60_000;
    await t.client.verify(newSecret);
    frame = await waitForText(app, '✓ The guard passes', 3000);
    expect(frame).toMatch(/Watched 1m\d*s? of 1m ✓/);
    press(app, 'n');
    await waitForFrame(app, (f) => currentStep(f)?.includes('5. Delete the old key') === true, 'delete_old');
    expect((await t.client.audit({ action: 'rotation.advance', limit: 1 })).events[0]!.detail).toEqual({ from: 'double_check', to: 'delete_old' });
  });

  it('asks to force past the guard as it is now, not as it was last read', async () => {
    await t.stop();
    let clock = Date.now();
    t = await startTestDaemon({ now: () => clock });
    await rotationAtDoubleCheck(t, 'queue', 60);
    const { app } = await openApp(t);
    await waitForText(app, 'queue-2');
    press(app, 'r');
    await waitForText(app, /Watched \d+s of 1m/);
    press(app, 'n');
    await waitForText(app, /Refused: Traffic has been watched \d+s of 1m/);
    // 40 s pass on the daemon's clock with nothing to make the view read the rotation again.
    clock += 40_000;
    press(app, 'F');
    const frame = await waitForText(app, 'FORCE the rotation past its guard?');
    expect(flat(frame)).toMatch(/It says: Traffic has been watched 4\ds of 1m since the cut-over; wait 20s more/);
    expect(flat(frame), 'the refusal beside the evidence is brought up to date too').toMatch(/Refused: Traffic has been watched 4\ds of 1m/);
    press(app, KEY.escape);
    await waitForFrame(app, (f) => !f.includes('FORCE the rotation'), 'the question closed');
    clock += 30_000;
    press(app, 'F');
    await waitForText(app, 'The guard passes now: n goes to the next step without forcing');
    expect(screen(app)).not.toContain('FORCE the rotation');
  });

  it('schedules the cut-over after a grace period, as the CLI does with --at', async () => {
    const old = await t.client.createKey('search');
    const started = await t.client.startRotation(old.key.id);
    await t.client.advance(started.rotation.id, { from: 'update_systems' });
    await t.client.verify(started.secret, 'web');
    const { app } = await openApp(t);
    await waitForText(app, 'search-2');
    press(app, 'r');
    await waitForText(app, 'The guard passes');
    press(app, 'n');
    await waitForText(app, 'When should the old key "search" be deactivated?');
    press(app, 'j');
    await waitForText(app, '› 2. In 15 minutes (the daemon deactivates it)');
    const before = Date.now();
    press(app, KEY.enter);
    const frame = await waitForText(app, 'The daemon deactivates the old key at');
    expect(flat(frame)).toMatch(/\(in .*?1[45]m(\d\ds)?\); n does it now\./);
    const { rotation } = await t.client.rotation(started.rotation.id);
    expect(rotation.step).toBe('deactivate_old');
    expect(Date.parse(rotation.deactivateAt!) - before).toBeGreaterThanOrEqual(15 * 60_000);
    expect((await t.client.getKey(old.key.id)).key.status, 'not yet').toBe('active');
  });

  it('says where the whole list of systems is when the view has no room for it', async () => {
    const old = await t.client.createKey('busy');
    for (let i = 0; i < 14; i++) await t.client.verify(old.secret, `system-${String(i).padStart(2, '0')}`);
    await t.client.startRotation(old.key.id);
    const app = await openRotationOf('busy', { columns: 80, rows: 24 });
    const frame = await waitForText(app, "Systems to update: the old key's callers (14)");
    expect(flat(frame)).toMatch(/… and \d+ more: a taller terminal, or keyward rotations show, lists all/);
  });

  it('counts a scheduled cut-over down each second, not with the table\'s 15-second clock', async () => {
    const old = await t.client.createKey('ledger');
    const started = await t.client.startRotation(old.key.id);
    await t.client.advance(started.rotation.id, { from: 'update_systems' });
    await t.client.verify(started.secret, 'web');
    await t.client.advance(started.rotation.id, { from: 'verify_new', at: new Date(Date.now() + 40_000).toISOString() });
    const { app } = await openApp(t);
    await waitForText(app, 'ledger-2');
    press(app, 'r');
    // The seconds left, wherever the line wraps beside the stepper.
    const left = (frame: string) => Number(/(\d+)s\); n does it now/.exec(frame)?.[1]);
    const first = left(await waitForFrame(app, (f) => left(f) > 0, 'the countdown'));
    await waitForFrame(app, (f) => left(f) > 0 && left(f) <= first - 2, 'two seconds fewer', 4000);
  });

  it('offers to deactivate the new key of a cancelled rotation', async () => {
    const old = await t.client.createKey('queue');
    const started = await t.client.startRotation(old.key.id);
    const { app } = await openApp(t);
    await waitForText(app, 'queue-2');
    press(app, 'r');
    await waitForText(app, 'Rotating "queue" → "queue-2"');
    press(app, 'C');
    await waitForText(app, 'Cancel this rotation?');
    press(app, 'y');
    await waitForText(app, 'Deactivate the new key?');
    press(app, 'y');
    await waitForText(app, 'Deactivated "queue-2", the new key of the cancelled rotation');
    expect((await t.client.getKey(started.rotation.newKeyId)).key.status).toBe('inactive');
    expect((await t.client.getKey(old.key.id)).key.status).toBe('active');
  });

  it('says, before rolling back an emergency, why the old key was switched off', async () => {
    const old = await t.client.createKey('vault');
    await t.client.startRotation(old.key.id, { emergency: true, reason: 'pasted in the team chat' });
    const app = await openRotationOf('vault');
    press(app, 'b');
    const frame = await waitForText(app, 'Roll back: reactivate');
    expect(flat(frame)).toContain('It was switched off because: pasted in the team chat.');
    press(app, 'n');
    await waitForFrame(app, (f) => !f.includes('Roll back: reactivate'), 'the question closed');
    expect((await t.client.getKey(old.key.id)).key.status).toBe('inactive');
  });

  it('offers nothing to switch off after cancelling past the cut-over: the new key is the one key left working', async () => {
    const old = await t.client.createKey('cargo');
    const started = await t.client.startRotation(old.key.id, { emergency: true, reason: 'leaked in a log' });
    const app = await openRotationOf('cargo');
    press(app, 'C');
    await waitForText(app, 'Cancel this rotation?');
    press(app, 'y');
    const frame = await waitForText(app, 'Rotation cancelled');
    expect(frame).not.toContain('Deactivate the new key?');
    expect((await t.client.getKey(started.rotation.newKeyId)).key.status).toBe('active');
    expect((await t.client.getKey(old.key.id)).key.status).toBe('inactive');
  });

  it('says in the deactivate question when a key verified in the last hour, and for whom', async () => {
    const live = await t.client.createKey('live-orders');
    await t.client.verify(live.secret, 'orders-api');
    await t.client.verify(live.secret, 'orders-api');
    const { app } = await openApp(t);
    await waitForText(app, 'live-orders');
    press(app, 'x');
    const frame = await waitForText(app, 'Deactivate key');
    expect(flat(frame)).toContain(
      'It was accepted 2 times in the last hour, last by orders-api just now: those clients fail from now on; to replace it without an outage, answer n and rotate it (r). Deactivate "live-orders"?',
    );
    press(app, 'y');
    await expect.poll(async () => (await t.client.getKey(live.key.id)).key.status).toBe('inactive');
  });

  it('says in the delete question when a key was presented in the last hour, and by whom', async () => {
    const used = await t.client.createKey('still-used');
    const quiet = await t.client.createKey('quiet');
    await t.client.verify(used.secret, 'batch');
    await t.client.deactivateKey(used.key.id);
    await t.client.deactivateKey(quiet.key.id);
    await t.client.verify(used.secret, 'batch');
    const { app } = await openApp(t);
    await waitForText(app, 'still-used');
    press(app, 'j');
    await waitForFrame(app, (f) => f.split('\n').some((l) => l.startsWith('›') && l.includes('still-used')), 'the cursor on still-used');
    press(app, 'D');
    let frame = await waitForText(app, 'Delete key');
    expect(flat(frame)).toContain('It was presented 2 times in the last hour, last by batch just now: something still uses it. Delete "still-used" permanently?');
    press(app, 'n');
    await waitForFrame(app, (f) => !f.includes('Delete key'), 'the question closed');
    press(app, 'k');
    await waitForFrame(app, (f) => f.split('\n').some((l) => l.startsWith('›') && l.includes('quiet')), 'the cursor on quiet');
    press(app, 'D');
    frame = await waitForText(app, 'Delete key');
    expect(flat(frame)).toContain('Delete "quiet" permanently? It cannot be undone; keyward keeps only its hash, for a year');
    expect(flat(frame)).not.toContain('presented');
  });

  it('filters the audit log with / in the daemon and pages through more than one load without a cap', async () => {
    const billing = await t.client.createKey('billing');
    await t.client.createKey('other');
    await t.client.deactivateKey(billing.key.id);
    // 2,500 events more than one load holds, written behind the daemon's back (listing does not check the chain).
    const rows = Array.from({ length: 2500 }, (_, i) => `('evt_bulk${i}', ${Date.now()}, 'op_bulk', 'bulk', 'key.create', 'key', 'key_bulk${i}', 'bulk-${i}', '{}', 'x', 'x')`);
    await storeQuery(t, `INSERT INTO audit_events (id, at, operator_id, operator_name, action, target_type, target_id, target_name, detail, prev_hash, hash) VALUES ${rows.join(',')}`);
    const { app } = await openApp(t);
    await waitForText(app, 'billing');
    press(app, 'A');
    await waitForText(app, /Audit log · 1000\+ events/);
    press(app, '/');
    await waitForText(app, 'action:rotation key:billing operator:alice');
    press(app, 'key:billing');
    await waitForText(app, '/key:billing');
    press(app, KEY.enter);
    let frame = await waitForText(app, 'Audit log · key billing · 2 events');
    expect(frame).toMatch(/key\.deactivate\s+billing/);
    expect(frame).toMatch(/key\.create\s+billing/);
    expect(frame).not.toContain('other');
    press(app, '/');
    await waitForText(app, '/key:billing');
    press(app, KEY.escape);
    await waitForText(app, /Audit log · 1000\+ events/);
    // A prefix that is no filter's is said in the title, not taken silently as a key name.
    press(app, '/');
    await waitForText(app, 'action:rotation key:billing operator:alice');
    press(app, 'usr:bob');
    await waitForText(app, '/usr:bob');
    press(app, KEY.enter);
    await waitForText(app, 'Audit log · key usr:bob · usr: is no filter');
    press(app, '/');
    await waitForText(app, '/usr:bob');
    press(app, KEY.escape);
    await waitForText(app, /Audit log · 1000\+ events/);
    for (let loaded = 1000; loaded < 2500; ) {
      press(app, 'G');
      frame = await waitForFrame(app, (f) => Number(/Audit log · (\d+)/.exec(f)?.[1]) > loaded, 'another page', 5000);
      loaded = Number(/Audit log · (\d+)/.exec(frame)![1]);
    }
    await waitForText(app, /Audit log · 250[0-9] events/);
  });
});
