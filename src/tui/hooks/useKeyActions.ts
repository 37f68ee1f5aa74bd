/**
 * What the operator's keys do to keys: the table's commands, the action menu, the details
 * view, the shown-once secret and the questions before a change. (Views that only show and
 * move: `useViewKeys`; the add and edit forms: `useKeyForms`; the rotation view:
 * `useRotationView`.)
 * Each handler first checks that its screen is still the current one (`inMode`), so a key
 * meant for a screen that has just closed is never misapplied; the keys read after one that
 * opened a screen are handed to that screen (hooks/keyboard.ts).
 */
import type { KeyJson, KeywardClient, RotationJson, UsageJson } from '../../client/client.js';
import { RECENT_USE_MINUTES } from '../../recent-use.js';
import { hasSecretShape } from '../../secret-shape.js';
import type { KeyFeed } from '../feed.js';
import { firstEnabled, menuItems, moveRefusal, queryRefusal, refusal, storeRefusal, type KeyAction, type MenuItem, type Operator } from '../state/actions.js';
import { START, type Move } from '../state/cursor.js';
import { ADD_FORM, editForm } from '../state/key-form.js';
import { MOVES, type DetailsCommand, type FieldCommand, type ListCommand, type QueryCommand, type SecretCommand, type TableCommand } from '../state/keymap.js';
import { helpOver, settleChoice, TABLE, type Choice, type ChoiceAnswer, type InMode, type Mode, type Question } from '../state/modes.js';
import { deactivateQuestion, deleteQuestion, emergencyQuestion, rotateQuestion } from '../state/questions.js';
import { WATCH_OPTIONS } from '../state/rotation.js';
import { safeKey, safeRotation, safeUsage } from '../state/safe.js';
import { nextSort, reverseSort, withFilter, type TableView } from '../state/table.js';
import { edit } from '../state/text.js';
import type { ToastKind } from './useToast.js';

export type KeyActionDeps = {
  readonly client: KeywardClient;
  readonly operator: Operator;
  readonly feed: KeyFeed;
  readonly keys: ReadonlyMap<string, KeyJson>;
  readonly byKey: ReadonlyMap<string, RotationJson>;
  /** Moves the table's cursor (over a window, `g`/`G` load the list's first or last page). */
  readonly moveTo: (move: Move) => void;
  /** Whether a move needs rows the window does not hold, which only the daemon can send. */
  readonly needsDaemon: (move: Move) => boolean;
  /** The key under the cursor right now. */
  readonly selectedNow: () => KeyJson | undefined;
  readonly setView: (next: TableView | ((current: TableView) => TableView)) => void;
  readonly setMode: (next: Mode | ((current: Mode) => Mode)) => void;
  readonly inMode: InMode;
  readonly show: (text: string, kind?: ToastKind) => void;
  readonly clearToast: () => void;
  readonly attempt: (call: () => Promise<void>) => Promise<void>;
  /** Sends text to the clipboard (OSC 52). */
  readonly copy: (text: string) => void;
  readonly exit: () => void;
  /** Starts the daemon again and says how; only when this TUI started it. */
  readonly restartDaemon: (() => Promise<string>) | undefined;
};

export type KeyActions = ReturnType<typeof useKeyActions>;

export function useKeyActions(deps: KeyActionDeps) {
  const { client, operator, feed, keys, byKey, moveTo, needsDaemon, selectedNow, setView, setMode, inMode, show, clearToast, attempt, copy, exit, restartDaemon } = deps;
  const ask = (question: Question) => setMode({ kind: 'confirm', question, back: TABLE });
  /**
   * Asks a dangerous question that first reads the key's usage of the last hour (who it would
   * break); without the usage line when usage cannot be read, since it only adds a warning.
   */
  const askWithUsage = (key: KeyJson, title: string, questionOf: (recent: UsageJson | undefined) => string, run: () => Promise<void>) =>
    void attempt(async () => {
      const recent = await client.usage(key.id, RECENT_USE_MINUTES).then(safeUsage, () => undefined);
      ask({ title, question: questionOf(recent), danger: true, run });
    });
  const rotationMode = (id: string): Mode => ({ kind: 'rotation', id, refusal: undefined, busy: false, question: undefined });

  const toggle = (key: KeyJson) => {
    if (key.status === 'inactive') {
      void attempt(async () => {
        const { key: updated } = await client.activateKey(key.id);
        feed.apply([{ type: 'key.updated', key: safeKey(updated) }]);
        show(`Activated "${key.name}": it verifies again`, 'success');
      });
      return;
    }
    askWithUsage(key, 'Deactivate key', (recent) => deactivateQuestion(key, recent, Date.now()), async () => {
      const { key: updated } = await client.deactivateKey(key.id);
      feed.apply([{ type: 'key.updated', key: safeKey(updated) }]);
      show(`Deactivated "${key.name}"`, 'success');
    });
  };

  const remove = (key: KeyJson) =>
    askWithUsage(key, 'Delete key', (recent) => deleteQuestion(key, recent, Date.now()), async () => {
      await client.deleteKey(key.id);
      feed.apply([{ type: 'key.deleted', id: key.id }]);
      show(`Deleted "${key.name}"`, 'success');
    });

  /** A rotation just started: its new key's secret, once, then the rotation view. */
  const started = ({ rotation, secret }: { rotation: RotationJson; secret: string }) => {
    const fresh = safeRotation(rotation);
    feed.apply([{ type: 'rotation.created', rotation: fresh }]);
    if (!hasSecretShape('key', secret)) {
      show(`The daemon answered a malformed key for "${fresh.newKeyName}"; it was not shown`, 'error');
      return setMode(rotationMode(fresh.id));
    }
    setMode({ kind: 'secret', keyId: fresh.newKeyId, keyName: fresh.newKeyName, secret, copied: false, quitAsked: false, then: rotationMode(fresh.id) });
  };

  const rotate = (key: KeyJson) => {
    const open = byKey.get(key.id);
    if (open) return setMode(rotationMode(open.id));
    const choice: Choice = {
      title: 'Rotate key',
      question: rotateQuestion(key),
      options: WATCH_OPTIONS.map((o) => o.label),
      index: 0,
      run: async (index) => started(await client.startRotation(key.id, { watchSeconds: WATCH_OPTIONS[index]!.value })),
    };
    setMode({ kind: 'choose', choice, back: TABLE });
  };

  // The key is compromised: a new key now and the old one off at once (the rotation starts at double_check).
  const emergency = (key: KeyJson) =>
    ask({ title: 'Compromised: replace now', question: emergencyQuestion(key), danger: true, run: async () => started(await client.startRotation(key.id, { emergency: true })) });

  /** Does `action` to `key`; a form it opens returns to `from`. */
  const perform = (action: KeyAction, key: KeyJson | undefined, from: Mode = TABLE) => {
    const refused = refusal(action, key, operator);
    if (refused || !key) return show(refused ?? 'no key selected', 'error');
    switch (action) {
      case 'edit':
        return setMode({ kind: 'edit', key, back: from, ...editForm(key) });
      case 'details':
        return setMode({ kind: 'details' });
      case 'toggle':
        return toggle(key);
      case 'delete':
        return remove(key);
      case 'rotate':
        return rotate(key);
      case 'emergency':
        return emergency(key);
      case 'usage':
        return setMode({ kind: 'usage', keyId: key.id });
      case 'copyId':
        copy(key.id);
        return show(`Sent the id ${key.id} to the clipboard`, 'success');
    }
  };

  const restart = () => {
    if (!restartDaemon) return show('R restarts only a daemon this TUI started; start this one with "keyward daemon"', 'error');
    // A refusing daemon runs too: starting it again would change nothing.
    const { link } = feed.getSnapshot();
    if (link === 'live' || link === 'refused') return show('The daemon is running');
    if (link === 'degraded') return show('The daemon is running; its key store is what cannot be reached, and a restart would not bring it back', 'error');
    show('Starting the daemon…');
    void attempt(async () => show(await restartDaemon(), 'success'));
  };

  /** Why `command` cannot change the table's sort or filter now, said at once (see `queryRefusal`). */
  const queryRefused = (command: QueryCommand): boolean => {
    const refused = queryRefusal(command, operator, feed.getSnapshot().window);
    if (refused) show(refused, 'error');
    return refused !== undefined;
  };

  /** Moves the cursor, or says at once why it cannot go past the rows held (see `moveRefusal`). */
  const move = (to: Move) => {
    const refused = moveRefusal(operator, needsDaemon(to));
    return refused ? show(refused, 'error') : moveTo(to);
  };

  const openMenu = (key: KeyJson | undefined) =>
    key ? setMode({ kind: 'menu', keyId: key.id, index: firstEnabled(menuItems(key, byKey.get(key.id), operator)) }) : show('no key selected', 'error');

  const onTable = (command: TableCommand) => {
    if (!inMode('table')) return;
    const to = MOVES[command];
    if (to !== undefined) return move(to);
    const key = selectedNow();
    switch (command) {
      case 'filter':
        return queryRefused(command) || setMode({ kind: 'filter' });
      case 'clearFilter':
        return queryRefused(command) || setView((v) => (v.filter ? withFilter(v, '') : v));
      case 'sort':
        return queryRefused(command) || setView(nextSort);
      case 'reverse':
        return queryRefused(command) || setView(reverseSort);
      case 'add': {
        const refused = refusal('add', undefined, operator);
        return refused ? show(refused, 'error') : setMode({ kind: 'add', ...ADD_FORM });
      }
      case 'menu':
        return openMenu(key);
      case 'emergency': {
        // The menu's own verdict, which knows a rotation already open on the key.
        const item = key && menuItems(key, byKey.get(key.id), operator).find((i) => i.action === 'emergency');
        return item?.disabled ? show(`${item.label}: ${item.disabled}`, 'error') : perform(command, key);
      }
      case 'toggle':
      case 'delete':
      case 'rotate':
      case 'edit':
      case 'usage':
      case 'details':
      case 'copyId':
        return perform(command, key);
      case 'audit':
      case 'alerts': {
        // Both views are read from the daemon's store as they open.
        const refused = storeRefusal(operator);
        if (refused) return show(refused, 'error');
        return setMode(command === 'audit' ? { kind: 'audit', cursor: START, filter: '', applied: '', editing: false } : { kind: 'alerts', cursor: START, all: false });
      }
      case 'restart':
        return restart();
      case 'help':
        return setMode(helpOver(TABLE));
      case 'quit':
        return exit();
    }
  };

  // A refusal that comes while the filter is being typed leaves the filter shown as it is:
  // over a window, the rows would not follow a new one.
  const onFilter = (command: FieldCommand) => {
    if (!inMode('filter')) return;
    if (command === 'cancel' && !queryRefused('clearFilter')) setView((v) => withFilter(v, ''));
    setMode(TABLE);
  };

  const onFilterEdit = (name: string, input: string) => inMode('filter') && !queryRefused('filter') && setView((v) => withFilter(v, edit(v.filter, name, input)));

  const choose = (item: MenuItem, key: KeyJson) => {
    if (item.disabled) return show(`${item.label}: ${item.disabled}`, 'error');
    setMode(TABLE);
    perform(item.action, key);
  };

  const onMenu = (command: ListCommand) => {
    const m = inMode('menu');
    const key = m && keys.get(m.keyId);
    if (!m || !key) return;
    const items = menuItems(key, byKey.get(key.id), operator);
    if (command === 'back') return setMode(TABLE);
    if (command === 'help') return setMode(helpOver(m));
    if (command === 'choose') return choose(items[m.index]!, key);
    const step = command === 'down' ? 1 : command === 'up' ? -1 : 0;
    setMode({ ...m, index: (m.index + step + items.length) % items.length });
  };

  const onMenuShortcut = (item: MenuItem) => {
    const m = inMode('menu');
    const key = m && keys.get(m.keyId);
    if (key) choose(item, key);
  };

  /** The details follow the table's cursor: j/k move it, the rest act on the key shown. */
  const onDetails = (command: DetailsCommand) => {
    const m = inMode('details');
    if (!m) return;
    const to = MOVES[command];
    if (to !== undefined) return move(to);
    const key = selectedNow();
    switch (command) {
      case 'edit':
        return perform('edit', key, m);
      case 'usage':
        return perform('usage', key);
      case 'menu':
        return openMenu(key);
      case 'help':
        return setMode(helpOver(m));
      case 'back':
        return setMode(TABLE);
    }
  };

  const onSecret = (command: SecretCommand) => {
    const m = inMode('secret');
    if (!m) return;
    if (command === 'stored') {
      setMode(m.then);
      return show(`Closed the secret of "${m.keyName}": keyward keeps only its hash from here on`, 'success');
    }
    copy(m.secret);
    setMode({ ...m, copied: true });
  };

  const onSecretOther = () => show('The secret is shown only now: press y once you have stored it (c copies it)');

  const onConfirm = (yes: boolean) => {
    const m = inMode('confirm');
    if (!m) return;
    // The answer starts something new: whatever the toast said before no longer applies.
    clearToast();
    setMode(m.back);
    if (yes) void attempt(m.question.run);
  };

  const onChoose = (answer: ChoiceAnswer) => {
    const m = inMode('choose');
    if (!m) return;
    const settled = settleChoice(m.choice, answer);
    if ('open' in settled) return setMode({ ...m, choice: settled.open });
    clearToast();
    setMode(m.back);
    const { chosen } = settled;
    if (chosen !== undefined) void attempt(() => m.choice.run(chosen));
  };

  return {
    restart,
    onTable,
    onFilter,
    onFilterEdit,
    onDetails,
    onMenu,
    onMenuShortcut,
    onSecret,
    onSecretOther,
    onConfirm,
    onChoose,
  };
}
