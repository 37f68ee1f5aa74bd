/** A bordered box with a title: the frame of every modal and view. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

/** Rows a panel adds around its content: its border, top and bottom, and its title. */
export const PANEL_ROWS = 3;
/** Columns a panel takes from its content: its border and padding, left and right. */
export const PANEL_INSIDE = 4;

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
