/** `a`: the name of a new key, with the daemon's objections shown under the field. */
import { Box, Text } from 'ink';
import { Panel } from '../components/Panel.js';
import { TextField } from '../components/TextField.js';
import { useBindings } from '../hooks/useBindings.js';
import { ADD_KEYS, type FieldCommand } from '../state/keymap.js';

export type AddScreenProps = {
  readonly name: string;
  readonly issues: readonly string[];
  readonly busy: boolean;
  readonly active: boolean;
  /** A key typed into the field (see `edit`). */
  readonly onEdit: (name: string, input: string) => void;
  readonly onCommand: (command: FieldCommand) => void;
};

export function AddScreen({ name, issues, busy, active, onEdit, onCommand }: AddScreenProps) {
  useBindings(ADD_KEYS, onCommand, active, onEdit);
  return (
    <Panel title="Add a key">
      <TextField label="Name: " value={name} placeholder="e.g. billing-service" />
      {issues.map((issue) => (
        <Text key={issue} color="red" wrap="wrap">
          {`✗ ${issue}`}
        </Text>
      ))}
      <Box marginTop={1}>
        <Text dimColor wrap="wrap">
          {busy ? 'Creating…' : 'The secret is shown once, right after the key is created.'}
        </Text>
      </Box>
    </Panel>
  );
}
