/**
 * Every screen's keys as data: the input handler looks commands up here, the footer lists the
 * ones valid now and the help overlay lists them all, so the three never disagree.
 */
import type { Key } from 'ink';
import type { Permission } from '../../daemon/auth/permissions.js';
import type { Move } from './cursor.js';

export type Binding<C extends string> = {
  readonly keys: readonly string[];
  readonly command: C;
  /** What the help overlay says. */
  readonly help: string;
  /** What the footer says; bindings without one are left out of it. */
  readonly footer?: string;
  readonly needs?: Permission;
};

/** One name per keypress: `j`, `D`, `enter`, `esc`, `up`, `pgdn`, `ctrl+f`. */
export function keyName(input: string, key: Key): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pgup';
  if (key.pageDown) return 'pgdn';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  // An Escape and the key after it in one read (type-ahead on a slow link, or Alt-y) arrive as
  // one meta key, `\x1by`: it is the Escape, and the key is dropped. Read as `y` alone it
  // confirmed the very delete the Escape was cancelling; and what comes after an Escape belongs
  // to the screen it leads to, which is not listening yet.
  if (key.meta && input !== '' && !key.ctrl) return 'esc';
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl) return `ctrl+${input}`;
  return input;
}

export function commandOf<C extends string>(bindings: readonly Binding<C>[], name: string): Binding<C> | undefined {
  return bindings.find((b) => b.keys.includes(name));
}

/**
 * The footer line: the keys that work now, given what the operator may do. When `width` is
 * too small, keys are left out from the right, but the last two (help and quit, or back) stay.
 */
export function footerText(bindings: readonly Binding<string>[], permissions: readonly Permission[], width = Infinity): string {
  const items = bindings
    .filter((b) => b.footer !== undefined && (b.needs === undefined || permissions.includes(b.needs)))
    .map((b) => b.footer!);
  const kept = 2;
  while (items.length > kept && [...items.join(' · ')].length > width) items.splice(items.length - kept - 1, 1);
  return items.join(' · ');
}

export type TableCommand =
  | 'down' | 'up' | 'top' | 'bottom' | 'pageDown' | 'pageUp'
  | 'filter' | 'clearFilter' | 'sort' | 'reverse' | 'add' | 'menu' | 'details' | 'edit' | 'toggle' | 'delete' | 'rotate' | 'emergency' | 'usage' | 'copyId' | 'audit'
  | 'alerts' | 'restart' | 'help' | 'quit';

/** The table's commands that change its sort or filter: over a window the daemon answers them (useKeyRows). */
export type QueryCommand = Extract<TableCommand, 'filter' | 'clearFilter' | 'sort' | 'reverse'>;
export const QUERY_COMMANDS: ReadonlySet<TableCommand> = new Set<QueryCommand>(['filter', 'clearFilter', 'sort', 'reverse']);

// The footer keeps its last two entries and drops from the right of the rest when the line is
// short, so what is listed early (moving, the menu, the audit log) survives narrow terminals.
// `keys:read` marks the views read from the daemon as they open: every role the TUI admits has
// it, and an operator the daemon refuses has no permission at all (App), so they drop out then.
export const TABLE_KEYS: readonly Binding<TableCommand>[] = [
  { keys: ['j', 'down'], command: 'down', help: 'next key', footer: 'j/k move' },
  { keys: ['k', 'up'], command: 'up', help: 'previous key' },
  { keys: ['g', 'home'], command: 'top', help: 'first key' },
  { keys: ['G', 'end'], command: 'bottom', help: 'last key' },
  { keys: ['pgdn', 'ctrl+f'], command: 'pageDown', help: 'page down' },
  { keys: ['pgup', 'ctrl+b'], command: 'pageUp', help: 'page up' },
  { keys: ['enter', '.'], command: 'menu', help: 'actions for the key', footer: '⏎ menu' },
  { keys: ['/'], command: 'filter', help: 'filter (name, owner, hint, id)', footer: '/ filter' },
  { keys: ['esc'], command: 'clearFilter', help: 'clear the filter' },
  { keys: ['s'], command: 'sort', help: 'sort by the next column', footer: 's/S sort' },
  { keys: ['S'], command: 'reverse', help: 'reverse the sort' },
  { keys: ['a'], command: 'add', help: 'add a key', footer: 'a add', needs: 'keys:write' },
  { keys: ['A'], command: 'audit', help: 'audit log', footer: 'A audit', needs: 'keys:read' },
  { keys: ['d'], command: 'details', help: 'details: policy, owner, meta, quota left', footer: 'd details' },
  { keys: ['e'], command: 'edit', help: 'edit name, expiry, owner, scopes, IPs, limits', footer: 'e edit', needs: 'keys:write' },
  { keys: ['x'], command: 'toggle', help: 'deactivate / activate', footer: 'x on/off', needs: 'keys:write' },
  { keys: ['D'], command: 'delete', help: 'delete (inactive only)', footer: 'D delete', needs: 'keys:write' },
  { keys: ['r'], command: 'rotate', help: 'rotate / resume rotation', footer: 'r rotate', needs: 'keys:write' },
  { keys: ['E'], command: 'emergency', help: 'compromised: replace now', needs: 'keys:write' },
  { keys: ['u'], command: 'usage', help: 'usage and callers', footer: 'u usage', needs: 'keys:read' },
  { keys: ['!'], command: 'alerts', help: 'alerts: what keyward noticed', footer: '! alerts', needs: 'keys:read' },
  { keys: ['i'], command: 'copyId', help: 'copy the key id (OSC 52)' },
  { keys: ['R'], command: 'restart', help: 'restart the daemon (one this TUI started)' },
  { keys: ['?'], command: 'help', help: 'all keys', footer: '? help' },
  { keys: ['q'], command: 'quit', help: 'quit', footer: 'q quit' },
];

export type ListCommand = 'down' | 'up' | 'top' | 'bottom' | 'pageDown' | 'pageUp' | 'choose' | 'help' | 'back';

export const MENU_KEYS: readonly Binding<ListCommand>[] = [
  { keys: ['j', 'down'], command: 'down', help: 'next action', footer: 'j/k move' },
  { keys: ['k', 'up'], command: 'up', help: 'previous action' },
  { keys: ['enter'], command: 'choose', help: 'do it', footer: '⏎ choose' },
  { keys: ['?'], command: 'help', help: 'all keys', footer: '? help' },
  { keys: ['esc', 'q'], command: 'back', help: 'close the menu', footer: 'esc close' },
];

export type AuditCommand = ListCommand | 'filter';

export const AUDIT_KEYS: readonly Binding<AuditCommand>[] = [
  { keys: ['j', 'down'], command: 'down', help: 'next event', footer: 'j/k scroll' },
  { keys: ['k', 'up'], command: 'up', help: 'previous event' },
  { keys: ['g', 'home'], command: 'top', help: 'newest event' },
  { keys: ['G', 'end'], command: 'bottom', help: 'oldest loaded (scrolling on loads more)' },
  { keys: ['pgdn', 'ctrl+f'], command: 'pageDown', help: 'page down', footer: 'PgUp/PgDn page' },
  { keys: ['pgup', 'ctrl+b'], command: 'pageUp', help: 'page up' },
  { keys: ['/'], command: 'filter', help: 'filter: action:rotation key:billing operator:alice', footer: '/ filter' },
  { keys: ['?'], command: 'help', help: 'all keys', footer: '? help' },
  { keys: ['esc', 'q'], command: 'back', help: 'back to the keys', footer: 'esc back' },
];

export type AlertCommand = ListCommand | 'ack' | 'ackKey' | 'all';

export const ALERT_KEYS: readonly Binding<AlertCommand>[] = [
  { keys: ['j', 'down'], command: 'down', help: 'next alert', footer: 'j/k move' },
  { keys: ['k', 'up'], command: 'up', help: 'previous alert' },
  { keys: ['g', 'home'], command: 'top', help: 'most recently seen' },
  { keys: ['G', 'end'], command: 'bottom', help: 'least recently seen' },
  { keys: ['pgdn', 'ctrl+f'], command: 'pageDown', help: 'page down' },
  { keys: ['pgup', 'ctrl+b'], command: 'pageUp', help: 'page up' },
  { keys: ['a', 'enter'], command: 'ack', help: 'acknowledge the alert', footer: 'a acknowledge', needs: 'keys:write' },
  { keys: ['A'], command: 'ackKey', help: "acknowledge every open alert of the alert's key (asks first)", footer: 'A all of the key', needs: 'keys:write' },
  { keys: ['t'], command: 'all', help: 'open alerts only, or acknowledged ones too', footer: 't open/all' },
  { keys: ['?'], command: 'help', help: 'all keys', footer: '? help' },
  { keys: ['esc', 'q'], command: 'back', help: 'back to the keys', footer: 'esc back' },
];

export const AUDIT_FILTER_KEYS: readonly Binding<FieldCommand>[] = [
  { keys: ['enter'], command: 'submit', help: 'apply the filter', footer: '⏎ apply' },
  { keys: ['esc'], command: 'cancel', help: 'clear the filter', footer: 'esc clear' },
];

export type ConfirmCommand = 'yes' | 'no';

export const CONFIRM_KEYS: readonly Binding<ConfirmCommand>[] = [
  { keys: ['y', 'Y'], command: 'yes', help: 'yes', footer: 'y yes' },
  { keys: ['n', 'N', 'enter', 'esc', 'q'], command: 'no', help: 'no (the default)', footer: 'n/⏎/esc no' },
];

/** A question's second yes as the keys show it: its key, what it does, and that in short for the footer. */
export type AlsoKey = { readonly key: string; readonly label: string; readonly footer: string };

/** The binding of a question's second yes (`Question.also`), beside `CONFIRM_KEYS`. */
export function alsoBinding(also: AlsoKey): Binding<'also'> {
  return { keys: [also.key], command: 'also', help: also.label, footer: `${also.key} ${also.footer}` };
}

/** The keys of a question: with its second yes, when it has one, after `y`. */
export function confirmKeys(also: AlsoKey | undefined): readonly Binding<ConfirmCommand | 'also'>[] {
  return also ? [CONFIRM_KEYS[0]!, alsoBinding(also), CONFIRM_KEYS[1]!] : CONFIRM_KEYS;
}

export type ChoiceCommand = 'down' | 'up' | 'choose' | 'cancel';

/** A choice also takes the digit of an answer (see `ChoiceDialog`). */
export const CHOICE_KEYS: readonly Binding<ChoiceCommand>[] = [
  { keys: ['j', 'down'], command: 'down', help: 'next answer', footer: 'j/k move' },
  { keys: ['k', 'up'], command: 'up', help: 'previous answer' },
  { keys: ['enter'], command: 'choose', help: 'choose the marked answer', footer: '⏎ choose' },
  { keys: ['esc', 'q', 'n'], command: 'cancel', help: 'cancel: do nothing', footer: 'esc cancel' },
];

export type SecretCommand = 'copy' | 'stored';

export const SECRET_KEYS: readonly Binding<SecretCommand>[] = [
  { keys: ['c'], command: 'copy', help: 'copy (OSC 52 clipboard)', footer: 'c copy' },
  { keys: ['y'], command: 'stored', help: 'stored it: close, forget', footer: 'y I have stored it' },
];

export type FieldCommand = 'submit' | 'cancel';

/** A form of several fields: a field's own keys are typing; these move between fields. */
export type FormCommand = FieldCommand | 'next' | 'previous' | 'clear';

const FORM_MOVES: readonly Binding<FormCommand>[] = [
  { keys: ['shift+tab', 'up'], command: 'previous', help: 'previous field' },
  { keys: ['ctrl+u'], command: 'clear', help: 'empty the field (none, or no restriction)' },
  { keys: ['esc'], command: 'cancel', help: 'cancel: nothing is saved', footer: 'esc cancel' },
];

/** The moves between fields as the footer of a form with every field open lists them. */
const OPEN_FORM_MOVES: readonly Binding<FormCommand>[] = [
  { keys: ['tab', 'down'], command: 'next', help: 'next field', footer: 'tab/↑↓ field' },
  ...FORM_MOVES.map((b) => (b.command === 'clear' ? { ...b, footer: 'Ctrl-U empty' } : b)),
];

/** The add form while it shows the name alone: tab opens the other fields. */
export const ADD_KEYS: readonly Binding<FormCommand>[] = [
  { keys: ['enter'], command: 'submit', help: 'create the key', footer: '⏎ create' },
  { keys: ['tab', 'down'], command: 'next', help: 'next field (expiry, owner, policy…)', footer: 'tab more fields' },
  ...FORM_MOVES,
];

/** The add form once open: the same keys, the footer says what they do now. */
export const OPEN_ADD_KEYS: readonly Binding<FormCommand>[] = [ADD_KEYS[0]!, ...OPEN_FORM_MOVES];

export const EDIT_KEYS: readonly Binding<FormCommand>[] = [
  { keys: ['enter'], command: 'submit', help: 'save the fields you changed', footer: '⏎ save' },
  ...OPEN_FORM_MOVES,
];

export type DetailsCommand = 'down' | 'up' | 'edit' | 'usage' | 'menu' | 'help' | 'back';

export const DETAILS_KEYS: readonly Binding<DetailsCommand>[] = [
  { keys: ['j', 'down'], command: 'down', help: 'the next key', footer: 'j/k next key' },
  { keys: ['k', 'up'], command: 'up', help: 'the previous key' },
  { keys: ['e'], command: 'edit', help: 'edit the key', footer: 'e edit', needs: 'keys:write' },
  { keys: ['u'], command: 'usage', help: 'usage and callers', footer: 'u usage', needs: 'keys:read' },
  { keys: ['enter', '.'], command: 'menu', help: 'actions for the key', footer: '⏎ menu' },
  { keys: ['?'], command: 'help', help: 'all keys', footer: '? help' },
  { keys: ['esc', 'q', 'd'], command: 'back', help: 'back to the keys', footer: 'esc back' },
];

export const FILTER_KEYS: readonly Binding<FieldCommand>[] = [
  { keys: ['enter'], command: 'submit', help: 'keep the filter', footer: '⏎ keep' },
  { keys: ['esc'], command: 'cancel', help: 'clear the filter', footer: 'esc clear' },
];

export type BackCommand = 'help' | 'back';

export const USAGE_KEYS: readonly Binding<BackCommand>[] = [
  { keys: ['?'], command: 'help', help: 'all keys', footer: '? help' },
  { keys: ['esc', 'q'], command: 'back', help: 'back to the keys', footer: 'esc back' },
];

export type HelpCommand = 'down' | 'up' | 'top' | 'bottom' | 'pageDown' | 'pageUp' | 'search' | 'back';

export const HELP_KEYS: readonly Binding<HelpCommand>[] = [
  { keys: ['j', 'down'], command: 'down', help: 'scroll down', footer: 'j/k scroll' },
  { keys: ['k', 'up'], command: 'up', help: 'scroll up' },
  { keys: ['g', 'home'], command: 'top', help: 'top' },
  { keys: ['G', 'end'], command: 'bottom', help: 'bottom' },
  { keys: ['pgdn', 'ctrl+f'], command: 'pageDown', help: 'page down', footer: 'PgUp/PgDn page' },
  { keys: ['pgup', 'ctrl+b'], command: 'pageUp', help: 'page up' },
  { keys: ['/'], command: 'search', help: 'search the keys', footer: '/ search' },
  { keys: ['esc', 'q', '?'], command: 'back', help: 'close help', footer: 'esc back' },
];

export const HELP_SEARCH_KEYS: readonly Binding<FieldCommand>[] = [
  { keys: ['enter'], command: 'submit', help: 'keep the search', footer: '⏎ keep' },
  { keys: ['esc'], command: 'cancel', help: 'clear the search', footer: 'esc clear' },
];

/** Keys every screen takes (handled by `useBindings` itself, not by the screens). */
export const GLOBAL_KEYS: readonly Binding<'redraw' | 'interrupt'>[] = [
  { keys: ['ctrl+l'], command: 'redraw', help: 'redraw the screen' },
  { keys: ['ctrl+c'], command: 'interrupt', help: 'quit (asks first while a secret is shown)' },
];

export type RotationCommand = 'advance' | 'force' | 'rollback' | 'keepOld' | 'cancel' | 'restart' | 'help' | 'back';

export const ROTATION_KEYS: readonly Binding<RotationCommand>[] = [
  { keys: ['n', 'enter'], command: 'advance', help: 'go to the next step', footer: 'n next step', needs: 'keys:write' },
  { keys: ['F'], command: 'force', help: 'FORCE past the guard', footer: 'F force', needs: 'keys:write' },
  { keys: ['b'], command: 'rollback', help: 'roll back (double-check)', footer: 'b roll back', needs: 'keys:write' },
  { keys: ['K'], command: 'keepOld', help: 'finish, keep old inactive', footer: 'K keep old', needs: 'keys:write' },
  { keys: ['C'], command: 'cancel', help: 'cancel the rotation', footer: 'C cancel rotation', needs: 'keys:write' },
  { keys: ['R'], command: 'restart', help: 'restart the daemon (one this TUI started)' },
  { keys: ['?'], command: 'help', help: 'all keys', footer: '? help' },
  { keys: ['esc', 'q'], command: 'back', help: 'back (rotation stays open)', footer: 'esc back' },
];

export const TOO_SMALL_KEYS: readonly Binding<'quit'>[] = [{ keys: ['q'], command: 'quit', help: 'quit', footer: 'q quit' }];

/** The commands, on any list, that move its cursor or scroll it, and how. */
export const MOVES: Partial<Record<TableCommand | ListCommand | HelpCommand | DetailsCommand | FormCommand, Move>> = {
  down: 1,
  up: -1,
  top: 'top',
  bottom: 'bottom',
  pageDown: 'pageDown',
  pageUp: 'pageUp',
};
