/** `a`: the name of a new key (and whether it is a canary), with the daemon's objections shown under the field. */
import { Box, Text } from 'ink';
import { Panel } from '../components/Panel.js';
import { Prose } from '../components/Prose.js';
import { TextField } from '../components/TextField.js';
import { useBindings } from '../hooks/useBindings.js';
import { ADD_KEYS, type AddCommand } from '../state/keymap.js';

export type AddScreenProps = {
  readonly name: string;
  /** A canary key: never valid, presenting it raises an alert. */
  readonly canary: boolean;
  readonly issues: readonly string[];
  readonly busy: boolean;
  /** Columns inside the panel. */
  readonly width: number;
  readonly active: boolean;
  /** A key typed into the field (see `edit`). */
  readonly onEdit: (name: string, input: string) => void;
  readonly onCommand: (command: AddCommand) => void;
};

export function AddScreen({ name, canary, issues, busy, width, active, onEdit, onCommand }: AddScreenProps) {
  useBindings(ADD_KEYS, onCommand, active, onEdit);
  return (
    <Panel title="Add a key">
      <TextField label="Name: " value={name} placeholder="e.g. billing-service" />
      <Text wrap="truncate-end">
        {'Canary: '}
        {canary ? <Text color="magenta">yes — it never verifies; presenting it raises an alert</Text> : <Text dimColor>no (tab: make it a canary)</Text>}
      </Text>
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
