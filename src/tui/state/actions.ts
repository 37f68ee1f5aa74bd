/**
 * What an operator may do to a key right now, and why not when they may not. The action menu
 * shows refused actions disabled with this reason; a shortcut for one shows it as a toast.
 */
import type { KeyJson, RotationJson } from '../../client/client.js';
import type { Permission, Role } from '../../daemon/auth/permissions.js';
import type { QueryCommand } from './keymap.js';
import type { KeyWindow } from './window.js';

export type KeyAction = 'toggle' | 'delete' | 'rotate' | 'emergency' | 'edit' | 'usage' | 'details' | 'copyId';
/**
 * `refused`: the daemon refuses this operator (its own 401/403; see feed.ts), so nothing it
 * asks is answered, whatever its role; App then gives it no permissions either. `unreachable`:
 * the daemon answers but cannot reach its store (`degraded`, feed.ts), or does not answer at all
 * (`reconnecting`), so every change and every read of the store fails until it is back; the
 * operator keeps its permissions.
 */
export type Operator = {
  readonly name: string;
  readonly role: Role;
  readonly permissions: readonly Permission[];
  readonly refused?: boolean;
  readonly unreachable?: 'store' | 'daemon';
};

export type MenuItem = { readonly action: KeyAction; readonly label: string; readonly shortcut: string; readonly disabled?: string };

/**
 * Said at once for anything that would ask a daemon refusing the operator: a question first
 * would only lead to the same refusal in a toast.
 */
export function daemonRefusal(operator: Operator): string | undefined {
  return operator.refused ? 'the daemon refuses this operator: ask an admin for another token' : undefined;
}

/**
 * Said at once for anything the daemon answers from its store (a change, the usage, the audit
 * log, the alerts): refused, it answers nothing; without its store, a confirmation or a form
 * would only lead to its 503.
 */
export function storeRefusal(operator: Operator): string | undefined {
  return daemonRefusal(operator) ?? (operator.unreachable ? UNREACHABLE[operator.unreachable] : undefined);
}

const UNREACHABLE = {
  store: 'the daemon cannot reach its key store: try again once it is back',
  daemon: 'the daemon does not answer: try again once it is back',
} as const;

/**
 * Why the table's sort or filter cannot change now (`command`), given the `window` held, if any:
 * over a window (more keys than the TUI holds) the daemon sorts and filters, and refused it
 * answers nothing, so the rows would stay as they are under a header saying otherwise. Up to
 * `fullLimit` keys every key is held and they work on those. Esc over no filter changes nothing.
 */
export function queryRefusal(command: QueryCommand, operator: Operator, window: KeyWindow | undefined): string | undefined {
  if (!window || !daemonRefusal(operator)) return undefined;
  if (command === 'clearFilter' && !window.query.filter.trim()) return undefined;
  const doing = command === 'sort' || command === 'reverse' ? 'sorting' : 'filtering';
  return `${doing} this many keys needs the daemon, which refuses this operator`;
}

/**
 * Why the cursor cannot make a move that needs rows the window does not hold (`needsDaemon`):
 * the daemon sends them, and refused it sends nothing.
 */
export function moveRefusal(operator: Operator, needsDaemon: boolean): string | undefined {
  return needsDaemon && daemonRefusal(operator) ? 'the keys past these need the daemon, which refuses this operator' : undefined;
}

/** Why the operator may not change keys now: the daemon refuses it, cannot write, or the role does not allow it. */
export function writeRefusal(operator: Operator, what = 'change keys'): string | undefined {
  return storeRefusal(operator) ?? (operator.permissions.includes('keys:write') ? undefined : `your role (${operator.role}) may not ${what}`);
}

/** Why `action` is refused for `key`, or undefined when it is allowed. */
export function refusal(action: KeyAction | 'add', key: KeyJson | undefined, operator: Operator): string | undefined {
  // The details show the table's copy when the daemon does not answer; the id is copied locally.
  if (action === 'details' || action === 'copyId') return key ? undefined : 'no key selected';
  if (action === 'usage') return storeRefusal(operator) ?? (key ? undefined : 'no key selected');
  const denied = writeRefusal(operator);
  if (denied) return denied;
  if (action === 'add') return undefined;
  if (!key) return 'no key selected';
  if (action === 'delete' && key.status === 'active') return 'only an inactive key can be deleted: deactivate it first (x)';
  if ((action === 'rotate' || action === 'emergency') && key.canary) return 'a canary is not rotated: it never verifies, so nothing uses it';
  return undefined;
}

export function menuItems(key: KeyJson, rotation: RotationJson | undefined, operator: Operator): MenuItem[] {
  const item = (action: KeyAction, label: string, shortcut: string): MenuItem => {
    const disabled = refusal(action, key, operator);
    return disabled ? { action, label, shortcut, disabled } : { action, label, shortcut };
  };
  const emergency = item('emergency', 'Compromised: replace now', 'E');
  return [
    item('toggle', key.status === 'active' ? 'Deactivate' : 'Activate', 'x'),
    item('delete', 'Delete', 'D'),
    item('rotate', rotation ? `Resume rotation (${rotation.step})` : 'Rotate', 'r'),
    // One open rotation per key: a key in one is resumed instead, or switched off at once (x).
    rotation && !emergency.disabled ? { ...emergency, disabled: inRotation(key, rotation) } : emergency,
    item('edit', 'Edit', 'e'),
    item('usage', 'Usage', 'u'),
    item('details', 'Details', 'd'),
    item('copyId', 'Copy id', 'i'),
  ];
}

/** Why a key in an open rotation is not replaced in an emergency, and what stops it now. */
function inRotation(key: KeyJson, rotation: RotationJson): string {
  const stop = key.status === 'active' ? '; to stop it at once, deactivate it (x)' : '';
  const role = key.id === rotation.newKeyId ? 'the new key of an open rotation' : 'already being replaced';
  return `${role} (${rotation.step}): resume the rotation (r)${stop}`;
}

/** What the menu says of an inactive key: since when, and why, as the deactivation said. */
export function deactivationNote(key: KeyJson): string | undefined {
  if (key.status !== 'inactive') return undefined;
  const canary = key.canary ? ' (a canary: presenting it still raises an alert)' : '';
  return key.deactivationReason ? `Inactive: ${key.deactivationReason}${canary}` : `Inactive${canary}`;
}

/** Where the menu's cursor starts: on the first action the operator may take, else the first. */
export function firstEnabled(items: readonly MenuItem[]): number {
  return Math.max(0, items.findIndex((i) => !i.disabled));
}
