/** A paragraph wrapped at spaces to `width`, one Text per line (see `wrapWords`). */
import { Box, Text } from 'ink';
import { wrapWords } from '../format.js';

export type ProseProps = { readonly text: string; readonly width: number; readonly color?: string; readonly bold?: boolean; readonly dim?: boolean };

export function Prose({ text, width, color, bold, dim }: ProseProps) {
  return (
    <Box flexDirection="column">
      {wrapWords(text, Math.max(1, width)).map((line, i) => (
        <Text key={i} color={color} bold={bold} dimColor={dim} wrap="truncate-end">
          {line}
        </Text>
      ))}
    </Box>
  );
}
