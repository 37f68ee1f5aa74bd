/**
 * The rotation view's data and commands: the rotation followed live (its own events and the
 * usage of both keys), each step's call with its question first when it changes a key, and a
 * guard's refusal kept for the screen to show.
 */
import { useMemo } from 'react';
import { ApiError, type KeywardClient, type RotationJson } from '../../client/client.js';
import type { KeyFeed } from '../feed.js';
import { errorText } from '../format.js';
import type { FeedEvent } from '../state/collection.js';
import type { RotationCommand } from '../state/keymap.js';
import { TABLE, type InMode, type Mode, type Question } from '../state/modes.js';
import { advanceQuestion, currentRefusal } from '../state/rotation.js';
import { safeRotation } from '../state/safe.js';
import { useLive } from './useLive.js';
import type { ToastKind } from './useToast.js';

export type RotationViewDeps = {
  readonly client: KeywardClient;
  readonly feed: KeyFeed;
  readonly mode: Mode;
  readonly setMode: (next: Mode | ((current: Mode) => Mode)) => void;
  readonly inMode: InMode;
  readonly show: (text: string, kind?: ToastKind) => void;
  readonly attempt: (call: () => Promise<void>) => Promise<void>;
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

export function useRotationView({ client, feed, mode, setMode, inMode, show, attempt }: RotationViewDeps) {
  const rotationId = mode.kind === 'rotation' ? mode.id : undefined;
  const load = useMemo(() => (rotationId ? () => client.rotation(rotationId).then((r) => safeRotation(r.rotation)) : undefined), [client, rotationId]);
  const live = useLive(load, feed, touchesRotation);

  /** A rotation call; a guard's refusal is kept to show beside the evidence, other errors are toasts. */
  const rotationAction = (call: () => Promise<{ rotation: RotationJson }>, done?: string) => {
    const m = inMode('rotation');
    if (!m) return;
    const here = (cur: Mode) => cur.kind === 'rotation' && cur.id === m.id;
    setMode({ ...m, busy: true, question: undefined });
    void (async () => {
      try {
        const result = await call();
        live.show(safeRotation(result.rotation));
        setMode((cur) => (here(cur) ? { ...m, busy: false, refusal: undefined, question: undefined } : cur));
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
    if (!m || m.question) return;
    if (command === 'back') return setMode(TABLE);
    if (!r || m.busy) return;
    const confirmFirst = (question: Omit<Question, 'run'>, run: () => void) => setMode({ ...m, question: { ...question, run: async () => run() } });
    const advance = (force: boolean, keepOld?: boolean) => () => rotationAction(() => client.advance(r.id, { from: r.step, force: force || undefined, keepOld }));
    switch (command) {
      case 'advance': {
        const question = advanceQuestion(r);
        return question ? confirmFirst({ title: 'Next step', question, danger: true }, advance(false)) : advance(false)();
      }
      case 'force': {
        const reason = (currentRefusal(r, m.refusal) ?? r.evidence.guard ?? '').replace(/\.?$/, '.');
        const question = `FORCE the rotation past its guard? It says: ${reason} The audit log records this advance as forced.`;
        return confirmFirst({ title: 'FORCE past the guard', question, danger: true }, advance(true));
      }
      case 'keepOld':
        return confirmFirst({ title: 'Finish, keep the old key', question: `Finish the rotation and keep "${r.oldKeyName}" inactive instead of deleting it?`, danger: false }, advance(false, true));
      case 'rollback':
        return confirmFirst({ title: 'Roll back', question: `Roll back: reactivate "${r.oldKeyName}" and return to verifying the new key?`, danger: true }, () =>
          rotationAction(() => client.rollback(r.id), `Rolled back: "${r.oldKeyName}" is active again`),
        );
      case 'cancel': {
        const state = `"${r.oldKeyName}" ${r.evidence.oldKey.status}, "${r.newKeyName}" ${r.evidence.newKey.status}`;
        return confirmFirst({ title: 'Cancel rotation', question: `Cancel this rotation? Both keys stay as they are now (${state}).`, danger: true }, () =>
          rotationAction(() => client.cancel(r.id), 'Rotation cancelled; both keys are left as they were'),
        );
      }
    }
  };

  const answer = (yes: boolean) => {
    const m = inMode('rotation');
    const question = m?.question;
    if (!m || !question) return;
    setMode({ ...m, question: undefined });
    if (yes) void attempt(question.run);
  };

  return { data: live.data, error: live.error, onCommand, answer };
}
