/**
 * Below 60×15 nothing fits; say so, and keep `q` working — except while a secret waits to be
 * stored: it is not on screen, and `q` must not lose it (Ctrl-C asks first, as in the modal).
 */
import { Box, Text } from 'ink';
import { useBindings } from '../hooks/useBindings.js';
import { TOO_SMALL_KEYS } from '../state/keymap.js';

export const MIN_COLUMNS = 60;
export const MIN_ROWS = 15;

export type WaitingSecret = { readonly keyName: string; readonly quitAsked: boolean };

export function TooSmallScreen({ columns, rows, secret, onQuit }: { readonly columns: number; readonly rows: number; readonly secret: WaitingSecret | undefined; readonly onQuit: () => void }) {
  useBindings(secret ? [] : TOO_SMALL_KEYS, onQuit, true);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">keyward: terminal too small</Text>
      <Text wrap="truncate-end">{`${columns}×${rows}, needs ${MIN_COLUMNS}×${MIN_ROWS}`}</Text>
      {secret ? (
        <>
          <Text wrap="wrap" color="yellow">{`The secret of "${secret.keyName}" is not stored yet: make the terminal larger to see it`}</Text>
          <Text wrap="truncate-end" color={secret.quitAsked ? 'red' : undefined}>{secret.quitAsked ? 'Ctrl-C again quits and loses it' : 'Ctrl-C quits (asks first)'}</Text>
        </>
      ) : (
        <Text wrap="truncate-end">q quits</Text>
      )}
    </Box>
  );
}
