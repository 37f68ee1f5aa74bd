/**
 * The TUI's one subscription to Ink's input, made when the App mounts: each keypress goes to
 * every mounted screen's handler, and only the active screen acts on it (useBindings).
 *
 * Ink subscribes a `useInput` in a passive effect, which runs after the frame that shows its
 * screen is written: a screen subscribing as it opened missed a key pressed in between (under
 * load, or keys arriving right behind the one that opened it), and nothing took that key.
 * Screens register here in a layout effect instead, while the frame is committed, so the screen
 * on the terminal is the one that takes the next key.
 */
import { useInput, type Key } from 'ink';
import { createContext, useCallback, useMemo, useRef } from 'react';

export type KeyHandler = (input: string, key: Key) => void;

export type Keyboard = {
  /** Hands every keypress to `handler` until the returned function is called. */
  readonly listen: (handler: KeyHandler) => () => void;
};

export const KeyboardContext = createContext<Keyboard | undefined>(undefined);

/** The App's keyboard, for `KeyboardContext`. */
export function useKeyboard(): Keyboard {
  const handlers = useRef(new Set<KeyHandler>()).current;
  const keyboard = useMemo<Keyboard>(
    () => ({
      listen: (handler) => {
        handlers.add(handler);
        return () => void handlers.delete(handler);
      },
    }),
    [handlers],
  );
  // Over a copy: a screen that opens while a key is handed round must not take that key too.
  const onInput = useCallback<KeyHandler>((input, key) => [...handlers].forEach((handler) => handler(input, key)), [handlers]);
  useInput(onInput);
  return keyboard;
}
