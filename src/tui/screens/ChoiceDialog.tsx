/** A question with several answers: j/k (or the answer's digit) marks one, ⏎ takes it, esc takes none. */
import { Box, Text } from 'ink';
import { Panel } from '../components/Panel.js';
import { Prose } from '../components/Prose.js';
import { useBindings } from '../hooks/useBindings.js';
import { CHOICE_KEYS, type ChoiceCommand } from '../state/keymap.js';
import type { Choice, ChoiceAnswer } from '../state/modes.js';

export type ChoiceDialogProps = {
  readonly choice: Choice;
  /** Columns inside the panel. */
  readonly width: number;
  readonly active: boolean;
  readonly onAnswer: (answer: ChoiceAnswer) => void;
};

export function ChoiceDialog({ choice, width, active, onAnswer }: ChoiceDialogProps) {
  const count = choice.options.length;
  const onCommand = (command: ChoiceCommand) => {
    if (command === 'cancel') return onAnswer('cancel');
    if (command === 'choose') return onAnswer({ choose: choice.index });
    onAnswer({ mark: (choice.index + (command === 'down' ? 1 : -1) + count) % count });
  };
  const onDigit = (_name: string, input: string) => {
    const n = Number(input);
    if (Number.isInteger(n) && n >= 1 && n <= count) onAnswer({ choose: n - 1 });
  };
  useBindings(CHOICE_KEYS, onCommand, active, onDigit);
  return (
    <Panel title={choice.title} color="yellow">
      <Prose text={choice.question} width={width} />
      <Box flexDirection="column" marginTop={1}>
        {choice.options.map((option, i) => (
          <Text key={option} bold={i === choice.index} color={i === choice.index ? 'cyan' : undefined} wrap="truncate-end">
            {`${i === choice.index ? '›' : ' '} ${i + 1}. ${option}`}
          </Text>
        ))}
      </Box>
      <Text dimColor wrap="truncate-end">
        ⏎ or the digit chooses · esc: none of them
      </Text>
    </Panel>
  );
}
