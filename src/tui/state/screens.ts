/** Which keys work in each mode: what the footer lists (and, first, what help shows). */
import type { RotationJson } from '../../client/client.js';
import {
  ADD_KEYS,
  ALERT_KEYS,
  AUDIT_FILTER_KEYS,
  AUDIT_KEYS,
  CHOICE_KEYS,
  CONFIRM_KEYS,
  confirmKeys,
  DETAILS_KEYS,
  EDIT_KEYS,
  HELP_KEYS,
  HELP_SEARCH_KEYS,
  MENU_KEYS,
  OPEN_ADD_KEYS,
  QUERY_COMMANDS,
  ROTATION_KEYS,
  SECRET_KEYS,
  TABLE_KEYS,
  USAGE_KEYS,
  type Binding,
  type RotationCommand,
  type TableCommand,
} from './keymap.js';
import type { Mode } from './modes.js';
import { rotationCommands } from './rotation.js';

/** The rotation view's keys that apply to `rotation` as it is now. */
export function rotationBindings(rotation: RotationJson | undefined): readonly Binding<RotationCommand>[] {
  const commands = rotationCommands(rotation);
  return ROTATION_KEYS.filter((b) => b.command === 'help' || b.command === 'restart' || commands.includes(b.command));
}

/**
 * The table's keys over a window: the daemon sorts and filters there, so those keys need it as
 * the views read from it do (`keys:read`), and drop out of the footer once it refuses the operator.
 */
const WINDOW_TABLE_KEYS: readonly Binding<TableCommand>[] = TABLE_KEYS.map((b) => (QUERY_COMMANDS.has(b.command) ? { ...b, needs: 'keys:read' } : b));

/**
 * The keys of the screen `mode` shows; `rotation` is the rotation on screen, if any; `windowed`:
 * the table holds a window the daemon served, not every key (feed.ts).
 */
export function modeBindings(mode: Mode, rotation: RotationJson | undefined, windowed: boolean): readonly Binding<string>[] {
  switch (mode.kind) {
    case 'table':
      return windowed ? WINDOW_TABLE_KEYS : TABLE_KEYS;
    case 'filter':
      return [];
    case 'help':
      return mode.searching ? HELP_SEARCH_KEYS : HELP_KEYS;
    case 'usage':
      return USAGE_KEYS;
    case 'alerts':
      return ALERT_KEYS;
    case 'add':
      return mode.expanded ? OPEN_ADD_KEYS : ADD_KEYS;
    case 'edit':
      return EDIT_KEYS;
    case 'details':
      return DETAILS_KEYS;
    case 'secret':
      return SECRET_KEYS;
    case 'menu':
      return MENU_KEYS;
    case 'confirm':
      return CONFIRM_KEYS;
    case 'choose':
      return CHOICE_KEYS;
    case 'audit':
      return mode.editing ? AUDIT_FILTER_KEYS : AUDIT_KEYS;
    case 'rotation':
      return mode.question ? confirmKeys(mode.question.also) : mode.choice ? CHOICE_KEYS : rotationBindings(rotation);
  }
}
