/**
 * A screen's keyboard: looks each keypress up in the screen's bindings. Only the active
 * screen acts on a key, so a key never reaches two screens; Ctrl-C and Ctrl-L go to the
 * container's global keys from whichever screen is active.
 *
 * Keys can come faster than React redraws (two keypresses in one read over a slow SSH link
 * are handled before the first one's redraw), so the handler reads the latest bindings and
 * callbacks, and whether its screen is active, from a ref set while committing; it listens
 * through the App's keyboard (keyboard.ts), registered while committing too, so a screen takes
 * keys from the moment its frame is written.
 */
import type { Key } from 'ink';
import { useCallback, useContext, useLayoutEffect, useRef } from 'react';
import { commandOf, keyName, type Binding } from '../state/keymap.js';
import { GlobalKeysContext, type GlobalKeys } from './globalKeys.js';
import { KeyboardContext } from './keyboard.js';

/** The control characters read as keys when they come inside a longer read, and their names. */
const KEY_NAMES: Readonly<Record<string, string>> = { '\r': 'enter', '\t': 'tab', '\x15': 'ctrl+u' };
const KEY_IN_TEXT = /([\r\t\x15])/;

type Latest<C extends string> = {
  bindings: readonly Binding<C>[];
  onCommand: (command: C) => void;
  onOther: ((name: string, input: string) => void) | undefined;
  isActive: boolean;
  global: GlobalKeys;
};

/**
 * Acts on one key, or on a run of characters read at once; returns what is left of `input` once
 * the screen stopped being the active one (a key in it opened another screen), else ''.
 */
function dispatch<C extends string>(now: Latest<C>, screen: () => unknown, name: string, input: string): string {
  if (name === 'ctrl+c') return void now.global.interrupt(), '';
  if (name === 'ctrl+l') return void now.global.redraw(), '';
  const binding = commandOf(now.bindings, name);
  if (binding) return void now.onCommand(binding.command), '';
  if (now.onOther) return void now.onOther(name, input), '';
  // Several keys read at once arrive as one string ("jjj"); a screen without a text field
  // takes them one by one, until one opens another screen: the rest is that screen's.
  if (name !== input) return '';
  const chars = [...input];
  const before = screen();
  for (let i = 0; i < chars.length; i++) {
    const each = commandOf(now.bindings, chars[i]!);
    if (each) now.onCommand(each.command);
    if (screen() !== before) return chars.slice(i + 1).join('');
  }
  return '';
}

export function useBindings<C extends string>(
  bindings: readonly Binding<C>[],
  onCommand: (command: C) => void,
  isActive: boolean,
  /** Keys the bindings do not name (typing into a field, menu shortcuts). */
  onOther?: (name: string, input: string) => void,
): void {
  const global = useContext(GlobalKeysContext);
  const keyboard = useContext(KeyboardContext);
  if (!keyboard) throw new Error('useBindings needs the App keyboard (KeyboardContext)');
  const latest = useRef<Latest<C>>({ bindings, onCommand, onOther, isActive, global });
  useLayoutEffect(() => {
    latest.current = { bindings, onCommand, onOther, isActive, global };
  });
  const handle = useCallback(
    (input: string, key: Key) => {
      const now = latest.current;
      if (!now.isActive) return;
      const name = keyName(input, key);
      // A paste, or a slow link, can bring text and keys in one read ("billing\r", "\t\tteam\t"):
      // Enter, Tab and Ctrl-U are keys of their own, not characters of the text.
      // (Also a lone "\t" handed on from such a read.)
      const pieces = name === input && KEY_IN_TEXT.test(input) ? input.split(KEY_IN_TEXT).filter(Boolean) : [input];
      const before = keyboard.screen();
      for (let i = 0; i < pieces.length; i++) {
        const piece = pieces[i]!;
        const rest = dispatch(now, keyboard.screen, KEY_NAMES[piece] ?? (pieces.length > 1 ? piece : name), piece);
        // A key that opened another screen: what follows it in the read is typed there.
        if (keyboard.screen() !== before) {
          const left = rest + pieces.slice(i + 1).join('');
          if (left) keyboard.handOn(left);
          return;
        }
      }
    },
    [keyboard],
  );
  useLayoutEffect(() => keyboard.listen(handle), [keyboard, handle]);
}
