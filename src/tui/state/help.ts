/**
 * The help list (`?`): every screen's keys as one scrollable list of lines, the screen it was
 * opened from first, narrowed by a search. Built from the same bindings the screens use.
 */
import {
  ADD_KEYS,
  ALERT_KEYS,
  AUDIT_FILTER_KEYS,
  AUDIT_KEYS,
  CHOICE_KEYS,
  CONFIRM_KEYS,
  DETAILS_KEYS,
  EDIT_KEYS,
  FILTER_KEYS,
  GLOBAL_KEYS,
  HELP_KEYS,
  MENU_KEYS,
  ROTATION_KEYS,
  SECRET_KEYS,
  TABLE_KEYS,
  USAGE_KEYS,
  type Binding,
} from './keymap.js';
import type { Permission } from '../../daemon/auth/permissions.js';
import type { Move } from './cursor.js';
import type { Mode } from './modes.js';

type Section = { readonly title: string; readonly shows: readonly Mode['kind'][]; readonly bindings: readonly Binding<string>[] };

const SECTIONS: readonly Section[] = [
  { title: 'Keys table', shows: ['table'], bindings: TABLE_KEYS },
  { title: 'Filter', shows: ['filter'], bindings: FILTER_KEYS },
  { title: 'Action menu', shows: ['menu'], bindings: MENU_KEYS },
  { title: 'Key details', shows: ['details'], bindings: DETAILS_KEYS },
  { title: 'Add a key', shows: ['add'], bindings: ADD_KEYS },
  { title: 'Edit a key', shows: ['edit'], bindings: EDIT_KEYS },
  { title: 'New secret', shows: ['secret'], bindings: SECRET_KEYS },
  { title: 'Questions', shows: ['confirm'], bindings: CONFIRM_KEYS },
  { title: 'Choices (a digit takes its answer)', shows: ['choose'], bindings: CHOICE_KEYS },
  { title: 'Rotation', shows: ['rotation'], bindings: ROTATION_KEYS },
  { title: 'Usage', shows: ['usage'], bindings: USAGE_KEYS },
  { title: 'Alerts', shows: ['alerts'], bindings: ALERT_KEYS },
  { title: 'Audit log', shows: ['audit'], bindings: AUDIT_KEYS },
  { title: 'Audit filter (action:, key:, operator:)', shows: ['audit'], bindings: AUDIT_FILTER_KEYS },
  { title: 'Help', shows: ['help'], bindings: HELP_KEYS },
  { title: 'Everywhere', shows: [], bindings: GLOBAL_KEYS },
];

/** A section title, or one key's line; `needs`, the permission a key wants that the operator lacks. */
export type HelpLine = { readonly kind: 'title'; readonly text: string } | { readonly kind: 'key'; readonly keys: string; readonly text: string; readonly needs?: Permission };

const KEY_NAMES: Record<string, string> = { enter: '⏎', down: '↓', up: '↑', pgdn: 'PgDn', pgup: 'PgUp', home: 'Home', end: 'End', tab: 'Tab', 'shift+tab': 'Shift-Tab' };

function keysText(keys: readonly string[]): string {
  return keys.map((k) => KEY_NAMES[k] ?? (k.startsWith('ctrl+') ? `Ctrl-${k.slice(5).toUpperCase()}` : k)).join(' ');
}

/**
 * The lines of help opened over a `current` screen: its keys first, then every other
 * section. A `query` keeps the keys whose name or description contains it (any case), and
 * whole sections whose title does. Keys the operator's `permissions` do not allow stay listed
 * (a viewer learns what the TUI does) but say what they need, as the action menu does.
 */
export function helpLines(current: Mode['kind'], query: string, permissions: readonly Permission[]): HelpLine[] {
  const needle = query.trim().toLowerCase();
  const here = SECTIONS.filter((s) => s.shows.includes(current));
  const ordered = [...here, ...SECTIONS.filter((s) => !here.includes(s))];
  const lines: HelpLine[] = [];
  for (const section of ordered) {
    const titleMatches = section.title.toLowerCase().includes(needle);
    const keys = section.bindings
      .map((b) => ({ keys: keysText(b.keys), text: b.help, ...(b.needs && !permissions.includes(b.needs) && { needs: b.needs }) }))
      .filter((k) => !needle || titleMatches || k.keys.toLowerCase().includes(needle) || k.text.toLowerCase().includes(needle));
    if (keys.length === 0) continue;
    lines.push({ kind: 'title', text: here.includes(section) ? `${section.title} (this screen)` : section.title });
    for (const k of keys) lines.push({ kind: 'key', ...k });
  }
  return lines;
}

/** The first line shown after `move`, over `count` lines of which `height` fit. */
export function scrollHelp(offset: number, move: Move, count: number, height: number): number {
  const last = Math.max(0, count - height);
  const page = Math.max(1, height - 1);
  const target = move === 'top' ? 0 : move === 'bottom' ? last : move === 'pageUp' ? offset - page : move === 'pageDown' ? offset + page : offset + move;
  return Math.max(0, Math.min(last, target));
}
