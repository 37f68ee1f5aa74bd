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
import { createContext, useCallback, useLayoutEffect, useMemo, useRef } from 'react';

export type KeyHandler = (input: string, key: Key) => void;

export type Keyboard = {
  /** Hands every keypress to `handler` until the returned function is called. */
  readonly listen: (handler: KeyHandler) => () => void;
  /** Which screen takes keys now, as the App last set it (before React has drawn it). */
  readonly screen: () => unknown;
  /**
   * Hands `text` round as a read of its own once the screen now current is drawn and listening:
   * the rest of a read whose first keys opened another screen, which takes it as if typed after
   * (`aorders` opens the add form with "orders").
   */
  readonly handOn: (text: string) => void;
};

/** A read of plain text: no key named. */
const TEXT: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};

export const KeyboardContext = createContext<Keyboard | undefined>(undefined);

/** How long keys wait for a screen to be drawn before they go to whatever listens. */
const DRAW_WAIT_MS = 100;

/**
 * The App's keyboard, for `KeyboardContext`; `screen` says which screen takes keys now. Keys
 * that arrive while a screen some key opened is not drawn yet wait for it, in order, so they go
 * to that screen and not to the one it replaces.
 */
export function useKeyboard(screen: () => unknown): Keyboard {
  const handlers = useRef(new Set<KeyHandler>()).current;
  /** The screen as of the last commit: its handler is listening. */
  const drawn = useRef<unknown>(undefined);
  const waiting = useRef<[string, Key][]>([]).current;
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);
  // Over a copy: a screen that opens while a key is handed round must not take that key too.
  const handRound = useCallback<KeyHandler>((input, key) => [...handlers].forEach((handler) => handler(input, key)), [handlers]);
  const flush = useCallback(
    (force = false) => {
      clearTimeout(timer.current);
      timer.current = undefined;
      while (waiting.length > 0) {
        if (!force && drawn.current !== screen()) {
          // Drawn at the next commit (the effect below); should none come, the keys go anyway.
          timer.current = setTimeout(() => flush(true), DRAW_WAIT_MS);
          return;
        }
        force = false;
        handRound(...waiting.shift()!);
      }
    },
    [handRound, screen, waiting],
  );
  const onInput = useCallback<KeyHandler>(
    (input, key) => {
      if (waiting.length === 0 && drawn.current === screen()) return handRound(input, key);
      waiting.push([input, key]);
      flush();
    },
    [handRound, flush, screen, waiting],
  );
  const keyboard = useMemo<Keyboard>(
    () => ({
      listen: (handler) => {
        handlers.add(handler);
        return () => void handlers.delete(handler);
      },
      screen,
      handOn: (text) => {
        // Before any key read after it.
        waiting.unshift([text, TEXT]);
        queueMicrotask(flush);
      },
    }),
    [handlers, screen, flush, waiting],
  );
  // The App's layout effect runs after its screens': the new screen's handler is registered.
  useLayoutEffect(() => {
    drawn.current = screen();
    if (waiting.length > 0) queueMicrotask(flush);
  });
  useInput(onInput);
  return keyboard;
}
