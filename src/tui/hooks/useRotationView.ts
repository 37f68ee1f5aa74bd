/**
 * The rotation view's data and commands: the rotation followed live (its own events and the
 * usage of both keys), each step's call with its question first when it changes a key, and a
 * guard's refusal kept for the screen to show. While the watch window runs it ticks every
 * second, so the countdown moves between reads, and reads again when the window is up.
 */
import { useEffect, useMemo, useState } from 'react';
import { ApiError, type KeywardClient, type RotationJson } from '../../client/client.js';
import type { KeyFeed } from '../feed.js';
import { errorText } from '../format.js';
import { writeRefusal, type Operator } from '../state/actions.js';
import type { FeedEvent } from '../state/collection.js';
import type { RotationCommand } from '../state/keymap.js';
import { settleChoice, TABLE, type Choice, type ChoiceAnswer, type InMode, type Mode, type Question, type QuestionAlso } from '../state/modes.js';
import { advanceQuestion, currentRefusal, CUT_OVER_OPTIONS, watchProgress } from '../state/rotation.js';
import { safeKey, safeRotation } from '../state/safe.js';
import { useLive } from './useLive.js';
import type { ToastKind } from './useToast.js';

export type RotationViewDeps = {
  readonly client: KeywardClient;
  /** Who asks: a step refused now (no role, a daemon refusing it or without its store) is said at once. */
  readonly operator: Operator;
  readonly feed: KeyFeed;
  readonly mode: Mode;
  readonly setMode: (next: Mode | ((current: Mode) => Mode)) => void;
  readonly inMode: InMode;
  readonly show: (text: string, kind?: ToastKind) => void;
  readonly attempt: (call: () => Promise<void>) => Promise<void>;
  /** `R`: starts again a daemon this TUI started, as from the table. */
  readonly restart: () => void;
};

function touchesRotation(event: FeedEvent, rotation: RotationJson): boolean {
  const involved = (id: string) => id === rotation.oldKeyId || id === rotation.newKeyId;
  switch (event.type) {
    case 'rotation.created':
    case 'rotation.updated':
      return event.rotation.id === rotation.id;
    case 'key.updated':
      return involved(event.key.id);
    case 'usage':
      return event.tick.keys.some((k) => involved(k.id));
    default:
      return false;
  }
}

export type RotationView = ReturnType<typeof useRotationView>;

/**
 * Milliseconds since `rotation` was read, and the time now, ticking each second while its watch
 * window runs or a scheduled cut-over counts down (the table's clock may tick every 15 s).
 */
function useWatchClock(rotation: RotationJson | undefined, reload: () => void): { elapsedMs: number; now: number } {
  const [readAt, setReadAt] = useState(Date.now);
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    setReadAt(Date.now());
    setNow(Date.now());
  }, [rotation]);
  const elapsedMs = Math.max(0, now - readAt);
  const watching = rotation !== undefined && (rotation.step === 'double_check' || rotation.step === 'delete_old');
  const leftMs = rotation ? watchProgress(rotation, elapsedMs).leftMs : 0;
  const scheduled = rotation?.step === 'deactivate_old' && typeof rotation.deactivateAt === 'string';
  const running = (watching && !rotation.evidence.watch.passed) || scheduled;
  useEffect(() => {
    if (!running) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  // The window is up by this clock: read again, so the guard's verdict follows.
  const up = watching && running && leftMs === 0;
  useEffect(() => {
    if (up) reload();
  }, [up, reload]);
  return { elapsedMs, now };
}

/** verify_new → deactivate_old: now (confirmed at the next step) or after a grace period. */
function cutOverChoice(r: RotationJson, advance: (force: boolean, keepOld?: boolean, at?: string) => () => void): Choice {
  return {
    title: 'Cut over',
    question: `The new key carries traffic. When should the old key "${r.oldKeyName}" be deactivated?`,
    options: CUT_OVER_OPTIONS.map((o) => o.label),
    index: 0,
    run: async (index) => {
      const graceMs = CUT_OVER_OPTIONS[index]?.value;
      advance(false, undefined, graceMs === undefined ? undefined : new Date(Date.now() + graceMs).toISOString())();
    },
  };
}

export function useRotationView({ client, operator, feed, mode, setMode, inMode, show, attempt, restart }: RotationViewDeps) {
  const rotationId = mode.kind === 'rotation' ? mode.id : undefined;
  const load = useMemo(() => (rotationId ? () => client.rotation(rotationId).then((r) => safeRotation(r.rotation)) : undefined), [client, rotationId]);
  const live = useLive(load, feed, touchesRotation);
  const { elapsedMs, now } = useWatchClock(live.data, live.reload);

  /**
   * A rotation call; a guard's refusal is kept to show beside the evidence, other errors are
   * toasts. `then` may ask a follow-up question about the rotation as it ended up.
   */
  const rotationAction = (call: () => Promise<{ rotation: RotationJson }>, done?: string, then?: (rotation: RotationJson) => Question | undefined) => {
    const m = inMode('rotation');
    if (!m) return;
    const here = (cur: Mode) => cur.kind === 'rotation' && cur.id === m.id;
    setMode({ ...m, busy: true, question: undefined });
    void (async () => {
      try {
        const result = safeRotation((await call()).rotation);
        live.show(result);
        setMode((cur) => (here(cur) ? { ...m, busy: false, refusal: undefined, question: then?.(result), choice: undefined } : cur));
        if (done) show(done, 'success');
      } catch (err) {
        const guard = err instanceof ApiError && err.code === 'rotation_guard';
        const refused = guard && live.data ? { step: live.data.step, reason: errorText(err) } : undefined;
        setMode((cur) => (here(cur) ? { ...m, busy: false, refusal: refused, question: undefined } : cur));
        if (!guard) show(errorText(err), 'error');
        if (err instanceof ApiError && err.code === 'step_changed') live.reload();
      }
    })();
  };

  const onCommand = (command: RotationCommand) => {
    const m = inMode('rotation');
    const r = live.data;
    if (!m || m.question || m.choice) return;
    if (command === 'back') return setMode(TABLE);
    if (command === 'restart') return restart();
    if (!r || m.busy) return;
    // Every other key changes the rotation: a question first would only lead to the same refusal.
    const refused = writeRefusal(operator, 'step rotations');
    if (refused) return show(refused, 'error');
    const confirmFirst = (question: Omit<Question, 'run'>, run: () => void) => setMode({ ...m, question: { ...question, run: async () => run() } });
    const advance =
      (force: boolean, keepOld?: boolean, at?: string) => () =>
        rotationAction(() => client.advance(r.id, { from: r.step, force: force || undefined, keepOld, at }));
    switch (command) {
      case 'advance': {
        // From verify_new the cut-over can wait for a grace period, carried out by the daemon
        // (as `rotations advance --at` does); asked only once the guard would let it pass.
        if (r.step === 'verify_new' && r.evidence.canAdvance) return setMode({ ...m, choice: cutOverChoice(r, advance) });
        const question = advanceQuestion(r, Date.now());
        if (!question) return advance(false)();
        return confirmFirst({ title: 'Next step', question, danger: true, ...(r.step === 'delete_old' && { also: takeOldName(r) }) }, advance(false));
      }
      case 'force': {
        // Asked with the guard as it is now, not as last read: a watch window counts down, and
        // the operator must not force past a reason that no longer holds.
        const here = (cur: Mode) => cur.kind === 'rotation' && cur.id === m.id;
        setMode({ ...m, busy: true });
        void (async () => {
          const fresh = await load!().catch(() => r);
          live.show(fresh);
          const guard = fresh.step === r.step ? (fresh.evidence.canAdvance ? undefined : (fresh.evidence.guard ?? currentRefusal(r, m.refusal))) : undefined;
          if (!guard) {
            setMode((cur) => (here(cur) ? { ...m, busy: false, refusal: undefined } : cur));
            return show(fresh.step === r.step ? 'The guard passes now: n goes to the next step without forcing' : `The rotation moved on meanwhile (now ${fresh.step})`);
          }
          const question = `FORCE the rotation past its guard? It says: ${guard.replace(/\.?$/, '.')} The audit log records this advance as forced.`;
          const refusal = m.refusal && { step: fresh.step, reason: guard };
          setMode((cur) => (here(cur) ? { ...m, busy: false, refusal, question: { title: 'FORCE past the guard', question, danger: true, run: async () => advance(true)() } } : cur));
        })();
        return;
      }
      case 'keepOld':
        return confirmFirst({ title: 'Finish, keep the old key', question: `Finish the rotation and keep "${r.oldKeyName}" inactive instead of deleting it?`, danger: false }, advance(false, true));
      case 'rollback':
        return confirmFirst({ title: 'Roll back', question: `Roll back: reactivate "${r.oldKeyName}" and return to verifying the new key?${whyOff(r)}`, danger: true }, () =>
          rotationAction(() => client.rollback(r.id), `Rolled back: "${r.oldKeyName}" is active again`),
        );
      case 'cancel': {
        const state = `"${r.oldKeyName}" ${r.evidence.oldKey.status}, "${r.newKeyName}" ${r.evidence.newKey.status}`;
        return confirmFirst({ title: 'Cancel rotation', question: `Cancel this rotation? Both keys stay as they are now (${state}).`, danger: true }, () =>
          rotationAction(() => client.cancel(r.id), 'Rotation cancelled; both keys are left as they were', offerDeactivateNew),
        );
      }
    }
  };

  /**
   * What the rollback question adds about the old key: an emergency replaced it as compromised,
   * and reactivating it lets whoever holds its secret in again — its open leak alert, or the
   * reason it was switched off, said before the yes.
   */
  const whyOff = (r: RotationJson): string => {
    const { collection } = feed.getSnapshot();
    if ([...collection.alerts.values()].some((a) => a.keyId === r.oldKeyId && a.kind === 'key.leaked')) {
      return ' It has an open leak alert: whoever holds its secret can use it again.';
    }
    const reason = collection.keys.get(r.oldKeyId)?.deactivationReason;
    return reason ? ` It was switched off because: ${reason}.` : '';
  };

  /**
   * The delete question's second yes: the old key's name is free once it is deleted, and the
   * systems, dashboards and people who know the key by it may keep it. One advance does both, in
   * one transaction (`takeOldName`, as `rotations advance --take-old-name`), so nobody takes
   * the name in between and the rotation records the name it ended with.
   */
  const takeOldName = (r: RotationJson): QuestionAlso => ({
    key: 'r',
    label: `yes, and "${r.newKeyName}" takes the name "${r.oldKeyName}"`,
    footer: 'yes + rename',
    run: async () => rotationAction(() => client.advance(r.id, { from: r.step, takeOldName: true }), `Deleted "${r.oldKeyName}"; "${r.newKeyName}" is now "${r.oldKeyName}"`),
  });

  /**
   * After a cancel: the new key the rotation created still works; offer to switch it off — only
   * while the old key works too: after an emergency cut-over (or any other) it is the one key
   * left, and switching it off is an outage.
   */
  const offerDeactivateNew = (r: RotationJson): Question | undefined => {
    if (r.evidence.newKey.status !== 'active' || r.evidence.oldKey.status !== 'active') return undefined;
    return {
      title: 'Deactivate the new key?',
      question: `The rotation is cancelled, but the new key "${r.newKeyName}" it created still verifies. Deactivate it now? (Its secret was shown once; if no system uses it, it is only a risk.)`,
      danger: false,
      run: async () => {
        const { key } = await client.deactivateKey(r.newKeyId);
        feed.apply([{ type: 'key.updated', key: safeKey(key) }]);
        live.reload();
        show(`Deactivated "${r.newKeyName}", the new key of the cancelled rotation`, 'success');
      },
    };
  };

  /** `also`: the question's second yes (`Question.also`). */
  const answer = (yes: boolean, also = false) => {
    const m = inMode('rotation');
    const question = m?.question;
    if (!m || !question) return;
    setMode({ ...m, question: undefined });
    const run = also ? question.also?.run : yes ? question.run : undefined;
    if (run) void attempt(run);
  };

  const choose = (answer: ChoiceAnswer) => {
    const m = inMode('rotation');
    const choice = m?.choice;
    if (!m || !choice) return;
    const settled = settleChoice(choice, answer);
    if ('open' in settled) return setMode({ ...m, choice: settled.open });
    setMode({ ...m, choice: undefined });
    const { chosen } = settled;
    if (chosen !== undefined) void attempt(() => choice.run(chosen));
  };

  return { data: live.data, error: live.error, elapsedMs, now, onCommand, answer, choose };
}
