/**
 * Below a list, the selected line in full, wrapped into a fixed number of rows: what the
 * list's columns cut (an audit event's reason, an alert's caller and address) at 80 columns.
 */
import { Box, Text } from 'ink';

/** The rows it takes, which the list above gives up. */
export const DETAIL_ROWS = 3;

export function SelectedDetail({ text, dim }: { readonly text: string; readonly dim?: boolean }) {
  return (
    <Box height={DETAIL_ROWS} overflow="hidden">
      <Text dimColor={dim} wrap="wrap">
        {text}
      </Text>
    </Box>
  );
}
