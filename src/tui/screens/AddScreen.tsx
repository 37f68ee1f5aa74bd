/** `a`: the name of a new key, with the daemon's objections shown under the field. */
import { Box, Text } from 'ink';
import { Panel } from '../components/Panel.js';
import { Prose } from '../components/Prose.js';
import { TextField } from '../components/TextField.js';
import { useBindings } from '../hooks/useBindings.js';
import { ADD_KEYS, type FieldCommand } from '../state/keymap.js';

export type AddScreenProps = {
  readonly name: string;
  readonly issues: readonly string[];
  readonly busy: boolean;
  /** Columns inside the panel. */
  readonly width: number;
  readonly active: boolean;
  /** A key typed into the field (see `edit`). */
  readonly onEdit: (name: string, input: string) => void;
  readonly onCommand: (command: FieldCommand) => void;
};

export function AddScreen({ name, issues, busy, width, active, onEdit, onCommand }: AddScreenProps) {
  useBindings(ADD_KEYS, onCommand, active, onEdit);
  return (
    <Panel title="Add a key">
      <TextField label="Name: " value={name} placeholder="e.g. billing-service" />
      {issues.map((issue) => (
        <Prose key={issue} color="red" width={width} text={`✗ ${issue}`} />
      ))}
      <Box marginTop={1}>
        <Text dimColor wrap="truncate-end">
          {busy ? 'Creating…' : 'The secret is shown once, right after the key is created.'}
        </Text>
      </Box>
    </Panel>
  );
}
