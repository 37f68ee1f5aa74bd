/**
 * The lines under the header once the daemon refuses this operator: why, in the feed's words,
 * and that nothing is tried again. They stay while the TUI runs, unlike a toast that the next
 * action replaces, so the stale rows below are never mistaken for a daemon that is merely away.
 */
import { Box, Text } from 'ink';
import { wrapWords } from '../format.js';

/** The refusal wrapped to `width`; App gives the table that many lines fewer. */
export function refusalLines(problem: string, width: number): string[] {
  return wrapWords(`✕ ${problem} Nothing is tried again · q quits`, width);
}

export function Refusal({ lines }: { readonly lines: readonly string[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} color="red">
          {line}
        </Text>
      ))}
    </Box>
  );
}
