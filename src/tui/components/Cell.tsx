/** One fixed-width table cell: truncated with `…`, measured in terminal columns (wide characters count double). */
import { Box, Text } from 'ink';

export type CellProps = {
  readonly width: number;
  readonly children: string;
  readonly align?: 'left' | 'right';
  readonly color?: string;
  readonly dim?: boolean;
  readonly bold?: boolean;
};

export function Cell({ width, children, align = 'left', color, dim, bold }: CellProps) {
  return (
    <Box width={width} marginRight={1} justifyContent={align === 'right' ? 'flex-end' : 'flex-start'} flexShrink={0}>
      <Text wrap="truncate-end" color={color} dimColor={dim} bold={bold}>
        {children}
      </Text>
    </Box>
  );
}
