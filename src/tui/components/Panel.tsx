/** A bordered box with a title: the frame of every modal and view. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

export type PanelProps = { readonly title: string; readonly children: ReactNode; readonly color?: string; readonly width?: number };

export function Panel({ title, children, color, width }: PanelProps) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={color} paddingX={1} width={width} flexShrink={0}>
      <Text bold color={color} wrap="truncate-end">
        {title}
      </Text>
      {children}
    </Box>
  );
}
