/**
 * What keys do in the views that only show and move: the audit log, a key's usage, help, and
 * `?` over the rotation view. Each handler first checks its view is still the current one.
 */
import { moveCursor } from '../state/cursor.js';
import { scrollHelp } from '../state/help.js';
import { MOVES, type BackCommand, type FieldCommand, type HelpCommand, type ListCommand } from '../state/keymap.js';
import { helpOver, TABLE, type InMode, type Mode } from '../state/modes.js';
import { edit } from '../state/text.js';

/** Audit events loaded at first, and at most (what the daemon serves in one page). */
export const AUDIT_PAGE = 1000;
const AUDIT_MAX = 10_000;

export type ViewKeyDeps = {
  readonly setMode: (next: Mode | ((current: Mode) => Mode)) => void;
  readonly inMode: InMode;
};

export type ViewKeys = ReturnType<typeof useViewKeys>;

export function useViewKeys({ setMode, inMode }: ViewKeyDeps) {
  const onAudit = (command: ListCommand, ids: readonly { id: string }[], loaded: number, height: number) => {
    const m = inMode('audit');
    if (!m) return;
    if (command === 'back' || command === 'choose') return setMode(TABLE);
    if (command === 'help') return setMode(helpOver(m));
    const moved = moveCursor(ids, m.cursor, MOVES[command]!, height);
    // Reaching the oldest loaded event loads more, up to what the daemon serves at once.
    const atEnd = moved.cursorIndex >= loaded - 1 && loaded >= m.limit && m.limit < AUDIT_MAX;
    setMode({ ...m, cursor: moved, limit: atEnd ? m.limit + AUDIT_PAGE : m.limit });
  };

  const onUsage = (command: BackCommand) => {
    const m = inMode('usage');
    if (m) setMode(command === 'help' ? helpOver(m) : TABLE);
  };

  /** `?` on the rotation view (its other keys are `useRotationView`'s). */
  const onRotationHelp = () => {
    const m = inMode('rotation');
    if (m && !m.question) setMode(helpOver(m));
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


  return { onAudit, onUsage, onRotationHelp, onHelp, onHelpEdit };
}
