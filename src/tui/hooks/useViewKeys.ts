/**
 * What keys do in the views that only show and move: the audit log (and its filter), a key's usage, help, and
 * `?` over the rotation view. Each handler first checks its view is still the current one.
 */
import { moveCursor, START } from '../state/cursor.js';
import { scrollHelp } from '../state/help.js';
import { MOVES, type AuditCommand, type BackCommand, type FieldCommand, type HelpCommand } from '../state/keymap.js';
import { helpOver, TABLE, type InMode, type Mode } from '../state/modes.js';
import { edit } from '../state/text.js';

export type ViewKeyDeps = {
  readonly setMode: (next: Mode | ((current: Mode) => Mode)) => void;
  readonly inMode: InMode;
};

export type ViewKeys = ReturnType<typeof useViewKeys>;

export function useViewKeys({ setMode, inMode }: ViewKeyDeps) {
  const onAudit = (command: AuditCommand, ids: readonly { id: string }[], height: number) => {
    const m = inMode('audit');
    if (!m) return;
    if (command === 'back' || command === 'choose') return setMode(TABLE);
    if (command === 'help') return setMode(helpOver(m));
    if (command === 'filter') return setMode({ ...m, editing: true });
    setMode({ ...m, cursor: moveCursor(ids, m.cursor, MOVES[command]!, height) });
  };

  /** ⏎ applies the typed filter; esc clears it. Either starts again from the newest event. */
  const onAuditFilter = (command: FieldCommand) => {
    const m = inMode('audit');
    if (!m) return;
    const filter = command === 'cancel' ? '' : m.filter;
    setMode({ ...m, filter, applied: filter, editing: false, cursor: START });
  };

  const onAuditEdit = (name: string, input: string) => setMode((m) => (m.kind === 'audit' && m.editing ? { ...m, filter: edit(m.filter, name, input) } : m));

  const onUsage = (command: BackCommand) => {
    const m = inMode('usage');
    if (m) setMode(command === 'help' ? helpOver(m) : TABLE);
  };

  /** `?` on the rotation view (its other keys are `useRotationView`'s). */
  const onRotationHelp = () => {
    const m = inMode('rotation');
    if (m && !m.question && !m.choice) setMode(helpOver(m));
  };

  const onHelp = (command: HelpCommand | FieldCommand, count: number, height: number) => {
    const m = inMode('help');
    if (!m) return;
    if (m.searching) {
      // Enter keeps the search and goes back to scrolling; esc clears it.
      return setMode({ ...m, searching: false, query: command === 'cancel' ? '' : m.query, offset: 0 });
    }
    if (command === 'back') return setMode(m.back);
    if (command === 'search') return setMode({ ...m, searching: true });
    const move = MOVES[command];
    if (move !== undefined) setMode({ ...m, offset: scrollHelp(m.offset, move, count, height) });
  };

  const onHelpEdit = (name: string, input: string) =>
    setMode((m) => (m.kind === 'help' && m.searching ? { ...m, query: edit(m.query, name, input), offset: 0 } : m));


  return { onAudit, onAuditFilter, onAuditEdit, onUsage, onRotationHelp, onHelp, onHelpEdit };
}
