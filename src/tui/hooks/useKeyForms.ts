/**
 * What keys do in the add and edit forms: move between fields, type, and send. Adding sends the
 * fields given; editing sends only the fields changed, and asks first when the change takes
 * something away (`narrowings`). The daemon's objections come back under their fields; a saved
 * edit goes into the table at once (not waiting for its event) and the cursor stays on the key.
 */
import { ApiError, type EditKeyInput, type KeywardClient } from '../../client/client.js';
import { hasSecretShape } from '../../secret-shape.js';
import type { KeyFeed } from '../feed.js';
import { errorText } from '../format.js';
import { changedLabels, clearField, hasIssues, issuesByField, moveFocus, readForm, typeInto, withIssues, type FieldIssues, type KeyForm } from '../state/key-form.js';
import type { FormCommand } from '../state/keymap.js';
import { TABLE, type InMode, type Mode } from '../state/modes.js';
import { narrowings, refusedLists } from '../state/narrowing.js';
import { safeKey } from '../state/safe.js';
import { focusKey, type TableView } from '../state/table.js';
import type { ToastKind } from './useToast.js';

export type KeyFormDeps = {
  readonly client: KeywardClient;
  readonly feed: KeyFeed;
  readonly setView: (next: TableView | ((current: TableView) => TableView)) => void;
  readonly setMode: (next: Mode | ((current: Mode) => Mode)) => void;
  readonly inMode: InMode;
  readonly show: (text: string, kind?: ToastKind) => void;
};

export type KeyForms = ReturnType<typeof useKeyForms>;

/**
 * The daemon's refusal as objections: a validation error's issues under their fields; another
 * refusal about a field (a name taken) in its own words under that field; anything else
 * (the daemon gone, the key deleted meanwhile) below the form.
 */
function objections(err: unknown, sent: EditKeyInput): FieldIssues {
  if (!(err instanceof ApiError) || err.issues.length === 0) return { form: [errorText(err)] };
  if (err.code === 'invalid_request') return issuesByField(err.issues, sent);
  return issuesByField([{ path: err.issues[0]!.path, message: err.message }], sent);
}

/** The form after a command that stays in it: a move, or emptying the field. */
function within(form: KeyForm, command: Exclude<FormCommand, 'submit' | 'cancel'>): KeyForm {
  return command === 'clear' ? clearField(form) : moveFocus(form, command === 'next' ? 1 : -1);
}

export function useKeyForms({ client, feed, setView, setMode, inMode, show }: KeyFormDeps) {
  const onAdd = (command: FormCommand) => {
    const m = inMode('add');
    if (!m || m.busy) return;
    if (command === 'cancel') return setMode(TABLE);
    if (command !== 'submit') return setMode({ ...m, ...within(m, command) });
    const { input, problems } = readForm(m, Date.now());
    if (hasIssues(problems)) return setMode(withIssues(m, problems));
    setMode({ ...m, busy: true });
    const { name = '', ...fields } = input;
    void (async () => {
      try {
        const created = await client.createKey(name, fields);
        const key = safeKey(created.key);
        feed.apply([{ type: 'key.created', key }]);
        setView((v) => focusKey(v, key.id));
        if (!hasSecretShape('key', created.secret)) {
          show(`The daemon answered a malformed key for "${key.name}"; it was not shown`, 'error');
          return setMode(TABLE);
        }
        setMode({ kind: 'secret', keyId: key.id, keyName: key.name, secret: created.secret, copied: false, quitAsked: false, then: TABLE });
      } catch (err) {
        setMode({ ...withIssues(m, objections(err, input)), busy: false });
      }
    })();
  };

  const save = async (m: Extract<Mode, { kind: 'edit' }>, input: EditKeyInput) => {
    setMode({ ...m, busy: true });
    try {
      const { key: edited } = await client.editKey(m.key.id, await withQuotaLeft(m, input));
      const key = safeKey(edited);
      feed.apply([{ type: 'key.updated', key }]);
      setView((v) => focusKey(v, key.id));
      setMode(m.back);
      show(`Saved "${key.name}": ${changedLabels(input)}`, 'success');
    } catch (err) {
      setMode({ ...withIssues(m, objections(err, input)), busy: false });
    }
  };

  /**
   * A quota is set whole, its refill with it: when only the refill changed, the uses left are
   * the daemon's now, not the ones the form opened with, which would give back every use made
   * since (the count goes on while the form is open).
   */
  const withQuotaLeft = async (m: Extract<Mode, { kind: 'edit' }>, input: EditKeyInput): Promise<EditKeyInput> => {
    if (!input.quota || m.texts.quota !== m.original.quota) return input;
    const left = (await client.getKey(m.key.id)).key.quota?.remaining;
    return left === undefined ? input : { ...input, quota: { ...input.quota, remaining: left } };
  };

  const onEdit = (command: FormCommand) => {
    const m = inMode('edit');
    if (!m || m.busy) return;
    // Where the form came from may have been about the deleted key too.
    if (command === 'cancel') return setMode(m.gone ? TABLE : m.back);
    if (command !== 'submit') return setMode({ ...m, ...within(m, command) });
    // The key is gone: nothing to save (the form says so, ModeScreen).
    if (m.gone) return;
    const { input, problems } = readForm(m, Date.now());
    if (hasIssues(problems)) return setMode(withIssues(m, problems));
    if (Object.keys(input).length === 0) {
      setMode(m.back);
      return show(`Nothing changed in "${m.key.name}"`);
    }
    const narrower = narrowings(m.key, input);
    if (narrower.length === 0 || refusedLists(input)) return void save(m, input);
    // No goes back to the form as it was, edits kept; yes saves from there.
    setMode({
      kind: 'confirm',
      back: m,
      question: {
        title: 'Narrow the key',
        question: `Narrow "${m.key.name}"? ${narrower.join('; ')}. Verifications that no longer fit fail from the moment you save.`,
        danger: true,
        run: () => save(m, input),
      },
    });
  };

  /** A key typed into the focused field of whichever form is open. */
  const onFormTyping = (name: string, input: string) =>
    setMode((m) => ((m.kind === 'add' || m.kind === 'edit') && !m.busy ? { ...m, ...typeInto(m, name, input) } : m));

  return { onAdd, onEdit, onFormTyping };
}
