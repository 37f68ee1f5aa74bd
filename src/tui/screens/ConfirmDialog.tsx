/** A yes/no question whose answer defaults to No: only `y` says yes (or the key of its second yes, `also`). */
import { Box, Text } from 'ink';
import { Panel } from '../components/Panel.js';
import { Prose } from '../components/Prose.js';
import { useBindings } from '../hooks/useBindings.js';
import { alsoBinding, CONFIRM_KEYS, type AlsoKey } from '../state/keymap.js';

export type ConfirmDialogProps = {
  readonly title: string;
  readonly question: string;
  /** Marks a destructive or guard-overriding answer. */
  readonly danger: boolean;
  /** Columns inside the panel. */
  readonly width: number;
  readonly active: boolean;
  readonly onAnswer: (yes: boolean) => void;
  /** A second yes and what saying it does (the caller runs it). */
  readonly also?: AlsoKey;
  readonly onAlso?: () => void;
};

const NO_ALSO: ReturnType<typeof alsoBinding>[] = [];

export function ConfirmDialog({ title, question, danger, width, active, onAnswer, also, onAlso }: ConfirmDialogProps) {
  useBindings(CONFIRM_KEYS, (command) => onAnswer(command === 'yes'), active);
  useBindings(also ? [alsoBinding(also)] : NO_ALSO, () => onAlso?.(), active && also !== undefined);
  return (
    <Panel title={title} color={danger ? 'red' : 'yellow'}>
      <Prose text={question} width={width} />
      <Box marginTop={1} flexDirection="column">
        <Text wrap="truncate-end">
          <Text bold>y</Text> yes · <Text bold>n</Text>, ⏎ or esc: no (the default)
        </Text>
        {also ? (
          <Text wrap="truncate-end">
            <Text bold>{also.key}</Text> {also.label}
          </Text>
        ) : null}
      </Box>
    </Panel>
  );
}
