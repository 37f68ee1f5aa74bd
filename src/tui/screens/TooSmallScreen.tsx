/** Below 60×15 nothing fits; say so, and keep `q` working. */
import { Box, Text } from 'ink';
import { useBindings } from '../hooks/useBindings.js';
import { TOO_SMALL_KEYS } from '../state/keymap.js';

export const MIN_COLUMNS = 60;
export const MIN_ROWS = 15;

export function TooSmallScreen({ columns, rows, onQuit }: { readonly columns: number; readonly rows: number; readonly onQuit: () => void }) {
  useBindings(TOO_SMALL_KEYS, onQuit, true);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">keyward: terminal too small</Text>
      <Text wrap="truncate-end">{`${columns}×${rows}, needs ${MIN_COLUMNS}×${MIN_ROWS}`}</Text>
      <Text wrap="truncate-end">q quits</Text>
    </Box>
  );
}
