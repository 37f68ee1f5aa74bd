/** The `/` filter line, typed in place of the footer; the table filters as you type. */
import { Box, Text } from 'ink';
import { TextField } from '../components/TextField.js';
import { useBindings } from '../hooks/useBindings.js';
import { FILTER_KEYS, footerText, type FieldCommand } from '../state/keymap.js';

export type FilterBarProps = {
  readonly value: string;
  /** A key typed into the field (see `edit`). */
  readonly onEdit: (name: string, input: string) => void;
  readonly onCommand: (command: FieldCommand) => void;
};

export function FilterBar({ value, onEdit, onCommand }: FilterBarProps) {
  useBindings(FILTER_KEYS, onCommand, true, onEdit);
  return (
    <Box>
      <Box flexGrow={1} flexShrink={1}>
        <TextField label="/" value={value} placeholder="name, hint or id, or owner" />
      </Box>
      <Text dimColor wrap="truncate-end">{`  ${footerText(FILTER_KEYS, [])}`}</Text>
    </Box>
  );
}
