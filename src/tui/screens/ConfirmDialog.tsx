/** A yes/no question whose answer defaults to No: only `y` says yes. */
import { Box, Text } from 'ink';
import { Panel } from '../components/Panel.js';
import { Prose } from '../components/Prose.js';
import { useBindings } from '../hooks/useBindings.js';
import { CONFIRM_KEYS } from '../state/keymap.js';

export type ConfirmDialogProps = {
  readonly title: string;
  readonly question: string;
  /** Marks a destructive or guard-overriding answer. */
  readonly danger: boolean;
  /** Columns inside the panel. */
  readonly width: number;
  readonly active: boolean;
  readonly onAnswer: (yes: boolean) => void;
};

export function ConfirmDialog({ title, question, danger, width, active, onAnswer }: ConfirmDialogProps) {
  useBindings(CONFIRM_KEYS, (command) => onAnswer(command === 'yes'), active);
  return (
    <Panel title={title} color={danger ? 'red' : 'yellow'}>
      <Prose text={question} width={width} />
      <Box marginTop={1}>
        <Text wrap="truncate-end">
          <Text bold>y</Text> yes · <Text bold>n</Text>, ⏎ or esc: no (the default)
        </Text>
      </Box>
    </Panel>
  );
}
