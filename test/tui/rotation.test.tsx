/**
 * The rotation view (issue 6's TUI part) against a real daemon: the stepper follows real
 * verify calls live, refuses to advance with the guard's reason, and forces only when asked.
 */
import { describe, expect, it } from 'vitest';
import type { TestDaemon } from '../helpers/daemon.js';
import { cursorLine, KEY, press, screen, SECRET, waitForFrame, waitForText } from './frames.js';
import { daemonPerTest, openApp } from './open-app.js';
import { rotationAtDeleteOld, rotationAtDoubleCheck } from './rotation-setup.js';

let t: TestDaemon;
daemonPerTest({ get: () => t, set: (d) => (t = d) });

/** The stepper line marked current. */
function currentStep(frame: string): string | undefined {
  return frame.split('\n').find((line) => line.includes('› ') && /\d\. /.test(line));
}

/** `r` on the selected key, whose rotation waits at delete_old. */
async function resumeAtDeleteOld(app: Parameters<typeof press>[0]) {
  press(app, 'r');
  await waitForFrame(app, (f) => currentStep(f)?.includes('5. Delete the old key') === true, 'delete_old');
}

/** Presses `key`, waits for the question `asked`, and answers yes. */
async function answerYes(app: Parameters<typeof press>[0], key: string, asked: string) {
  press(app, key);
  await waitForText(app, asked);
  press(app, 'y');
}

describe('rotation view', () => {
  it('steps through a rotation on live evidence, refusing to advance without it and forcing only when asked', async () => {
    const old = await t.client.createKey('billing');
    const { app } = await openApp(t);
    await waitForText(app, 'billing');
    press(app, 'r');
    await waitForText(app, 'Start rotating "billing"?');
    expect(screen(app), 'the watch window is chosen at the start').toContain('› 1. 10 minutes (default)');
    press(app, KEY.enter);
    const reveal = await waitForText(app, 'Secret of "billing-2": shown this once');
    const secret = SECRET.exec(reveal)![0];
    press(app, 'y');
    let frame = await waitForText(app, 'Rotating "billing" → "billing-2"');
    expect(frame, 'the secret is gone').not.toContain(secret);
    expect(currentStep(frame)).toContain('1. Update your systems');

    press(app, 'n');
    frame = await waitForFrame(app, (f) => currentStep(f)?.includes('2. Verify the new key') === true, 'verify_new');
    expect(frame).toContain('New key "billing-2": 0 accepted, 0 rejected');
    expect(frame, 'the guard says what it waits for').toContain('Guard: The new key has not been used successfully yet');

    press(app, 'n');
    frame = await waitForText(app, 'Refused: The new key has not been used successfully yet');
    expect(frame, 'force is offered, clearly marked').toContain('F = FORCE past the guard');
    expect(currentStep(frame)).toContain('2. Verify the new key');

    await t.client.verify(secret, 'web-1');
    await t.client.verify(secret, 'web-1');
    // The flush the daemon runs each second, now: its usage event is what the view follows.
    await t.daemon.core.usage.flush();
    frame = await waitForText(app, 'New key "billing-2": 2 accepted, 0 rejected');
    expect(frame, 'callers of the new key').toMatch(/web-1\s+just now\s+2\s+0/);
    expect(frame, 'traffic per minute').toMatch(/new key\s+·*[▁▂▃▄▅▆▇█]+\s+2/);
    expect(frame, 'the refusal is over once the evidence is in').not.toContain('Refused');
    expect(frame).toContain('The guard passes');

    press(app, 'n');
    await waitForText(app, 'When should the old key "billing" be deactivated?');
    press(app, KEY.enter);
    await waitForFrame(app, (f) => currentStep(f)?.includes('3. Deactivate the old key') === true, 'deactivate_old');
    press(app, 'n');
    frame = await waitForText(app, 'Deactivate the old key "billing" now?');
    expect(frame.replace(/[│\s]+/g, ' ')).toContain('No caller label was seen on it, so keyward cannot tell who still uses it.');
    press(app, 'y');
    frame = await waitForFrame(app, (f) => currentStep(f)?.includes('4. Double-check traffic') === true, 'double_check');
    expect((await t.client.getKey(old.key.id)).key.status).toBe('inactive');

    expect((await t.client.verify(old.secret, 'cron-job')).valid).toBe(false);
    await t.daemon.core.usage.flush();
    frame = await waitForText(app, 'old key presented 1 time');
    expect(frame, 'who still uses the old key').toContain('cron-job');
    press(app, 'n');
    frame = await waitForText(app, 'Refused: The old key was presented 1 time since it was');
    expect(currentStep(frame)).toContain('4. Double-check traffic');

    press(app, 'F');
    await waitForText(app, 'FORCE the rotation past its guard?');
    press(app, KEY.enter);
    frame = await waitForFrame(app, (f) => !f.includes('FORCE the rotation'), 'the question closed');
    expect(currentStep(frame), 'enter means no').toContain('4. Double-check traffic');
    press(app, 'F');
    await waitForText(app, 'FORCE the rotation past its guard?');
    press(app, 'y');
    await waitForFrame(app, (f) => currentStep(f)?.includes('5. Delete the old key') === true, 'delete_old');
    const { events } = await t.client.audit({ limit: 5 });
    const forced = events.find((e) => e.action === 'rotation.advance' && e.detail.to === 'delete_old');
    expect(forced?.detail.force, 'the audit log records the force').toBe(true);

    press(app, 'n');
    frame = await waitForText(app, 'Delete the old key "billing" permanently?');
    expect(frame.replace(/[│\s]+/g, ' '), 'a late caller is named when deleting').toContain('It was presented 1 time since the cut-over, by cron-job (just now).');
    expect(frame, 'a second yes takes the old name as well').toContain('r yes, and "billing-2" takes the name "billing"');
    press(app, 'r');
    await waitForText(app, 'Deleted "billing"; "billing-2" is now "billing"');
    frame = await waitForText(app, 'Completed: the old key is deleted.');
    expect(frame, 'the title says the name went over, not "billing" → "billing"').toContain(`Rotating "billing": the new key took the old one's name`);
    await expect(t.client.getKey(old.key.id)).rejects.toMatchObject({ code: 'not_found' });
    expect((await t.client.allKeys()).map((k) => k.name)).toEqual(['billing']);
    const [ended] = (await t.client.rotations('all')).rotations;
    expect(ended, 'one advance did both: the rotation ended with the name').toMatchObject({ step: 'completed', newKeyName: 'billing' });
    press(app, KEY.escape);
    frame = await waitForText(app, 'j/k move');
    expect(frame).not.toContain('rotating');
    expect(cursorLine(frame), 'the one key, by its old name').toMatch(/› billing +kw_/);
  });

  it('deletes with y leaving the new key its name, deletes nothing on Enter, and offers no rename when the old key is kept', async () => {
    const plain = await rotationAtDeleteOld(t, 'orders');
    const { app } = await openApp(t);
    await waitForText(app, 'orders-2');
    await resumeAtDeleteOld(app);
    press(app, 'n');
    await waitForText(app, 'r yes, and "orders-2" takes the name "orders"');
    press(app, KEY.enter);
    await waitForFrame(app, (f) => !f.includes('permanently?'), 'the question closed');
    expect((await t.client.getKey(plain.old.key.id)).key.status, 'Enter means no: nothing deleted').toBe('inactive');
    await answerYes(app, 'n', 'Delete the old key "orders" permanently?');
    await waitForText(app, 'Completed: the old key is deleted.');
    expect((await t.client.getKey(plain.newKeyId)).key.name, 'y deletes only').toBe('orders-2');

    const kept = await rotationAtDeleteOld(t, 'search');
    press(app, KEY.escape);
    await waitForText(app, 'j/k move');
    press(app, '/');
    await waitForText(app, 'name, hint or id');
    press(app, 'search', KEY.enter);
    await waitForFrame(app, (f) => cursorLine(f)?.includes('search ') === true, 'the cursor on search');
    await resumeAtDeleteOld(app);
    press(app, 'K');
    const asked = await waitForText(app, 'Finish the rotation and keep "search" inactive');
    expect(asked, 'the old key keeps its name').not.toContain('takes the name');
    press(app, 'y');
    await waitForText(app, 'Completed: the old key is kept, inactive.');
    expect((await t.client.getKey(kept.newKeyId)).key.name).toBe('search-2');
  });

  it('badges keys in an open rotation and resumes it with r, also in a new session', async () => {
    const { key } = await t.client.createKey('search');
    await t.client.startRotation(key.id);
    const first = await openApp(t);
    let frame = await waitForText(first.app, '↻ 1 rotating');
    expect(frame).toMatch(/search\s+kw_\S+\s+active ↻/);
    expect(frame).toMatch(/search-2\s+kw_\S+\s+active ↻/);
    press(first.app, 'r');
    frame = await waitForText(first.app, 'Rotating "search" → "search-2"');
    expect(frame, 'resuming shows no secret').not.toMatch(SECRET);
    first.app.unmount();

    const second = await openApp(t);
    await waitForText(second.app, 'search-2');
    press(second.app, 'j');
    await waitForFrame(second.app, (f) => cursorLine(f)?.includes('search-2') === true, 'the new key');
    press(second.app, KEY.enter);
    await waitForText(second.app, 'Resume rotation (update_systems)');
    press(second.app, 'r');
    await waitForText(second.app, 'Rotating "search" → "search-2"');
  });

  it('rolls back from double_check and cancels, leaving both keys as they are', async () => {
    const { old } = await rotationAtDoubleCheck(t, 'mail');
    const { app } = await openApp(t);
    await waitForText(app, 'mail-2');
    press(app, 'r');
    let frame = await waitForFrame(app, (f) => currentStep(f)?.includes('4. Double-check traffic') === true, 'double_check');
    expect(frame).toContain('b roll back');
    press(app, 'b');
    await waitForText(app, 'Roll back: reactivate "mail"');
    press(app, 'y');
    frame = await waitForFrame(app, (f) => currentStep(f)?.includes('2. Verify the new key') === true, 'back to verify_new');
    expect(frame).toContain('Rolled back: "mail" is active again');
    expect((await t.client.getKey(old.key.id)).key.status).toBe('active');

    press(app, 'C');
    await waitForText(app, 'Cancel this rotation? Both keys stay as they are now ("mail" active, "mail-2" active)');
    press(app, 'y');
    frame = await waitForText(app, 'The rotation is cancelled, but the new key "mail-2" it created still verifies. Deactivate it');
    expect(frame).toContain('Cancelled: both keys were left as they were.');
    press(app, 'n');
    frame = await waitForFrame(app, (f) => !f.includes('Deactivate the new key?'), 'the offer declined');
    expect(frame).toContain('✗ cancelled');
    expect((await t.client.rotations('open')).rotations).toEqual([]);
    expect((await t.client.allKeys()).map((k) => k.status)).toEqual(['active', 'active']);
    expect(screen(app)).toContain('esc back');
  });
});
