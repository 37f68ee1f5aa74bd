/**
 * Ctrl-C and Ctrl-L for the whole TUI, and the one thing Ctrl-C must not do silently: lose a
 * shown-once secret. The first Ctrl-C over a secret only asks; whoever ends the TUI is told
 * which key's secret is on screen, so it can say so once the terminal is restored.
 */
import { useEffect, useMemo } from 'react';
import type { Mode } from '../state/modes.js';
import type { GlobalKeys } from './globalKeys.js';

/** The key whose secret is on screen, unconfirmed; undefined once it is not. */
export type ShownSecret = { readonly keyId: string; readonly keyName: string } | undefined;

export type GlobalKeyDeps = {
  readonly mode: Mode;
  readonly currentMode: () => Mode;
  readonly setMode: (next: Mode) => void;
  readonly exit: () => void;
  readonly redraw: (() => void) | undefined;
  readonly onSecret: ((shown: ShownSecret) => void) | undefined;
};

export function useGlobalKeys({ mode, currentMode, setMode, exit, redraw, onSecret }: GlobalKeyDeps): GlobalKeys {
  const keyId = mode.kind === 'secret' ? mode.keyId : undefined;
  const keyName = mode.kind === 'secret' ? mode.keyName : undefined;
  // No cleanup: unmounting on the way out must not tell the session the secret was closed.
  useEffect(() => {
    onSecret?.(keyId !== undefined && keyName !== undefined ? { keyId, keyName } : undefined);
  }, [keyId, keyName, onSecret]);

  // Stable, so a keystroke's render does not make React look for the context's readers.
  return useMemo(
    () => ({
      interrupt: () => {
        const m = currentMode();
        if (m.kind === 'secret' && !m.quitAsked) setMode({ ...m, quitAsked: true });
        else exit();
      },
      redraw: redraw ?? (() => {}),
    }),
    [currentMode, setMode, exit, redraw],
  );
}
