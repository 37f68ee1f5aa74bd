/** A question with several answers: j/k (or the answer's digit) marks one, ⏎ takes it, esc takes none. */
import { Box, Text } from 'ink';
import { Panel, PANEL_ROWS } from '../components/Panel.js';
import { wrapWords } from '../format.js';
import { useBindings } from '../hooks/useBindings.js';
import { CHOICE_KEYS, type ChoiceCommand } from '../state/keymap.js';
import type { Choice, ChoiceAnswer } from '../state/modes.js';

export type ChoiceDialogProps = {
  readonly choice: Choice;
  /** Columns inside the panel. */
  readonly width: number;
  /** Rows for the panel, border included. */
  readonly height: number;
  readonly active: boolean;
  readonly onAnswer: (answer: ChoiceAnswer) => void;
};

/** The panel's border and title, and the keys' line. */
const FIXED_ROWS = PANEL_ROWS + 1;

/**
 * What of the question and the answers fits in `height`: the answers first, as many as fit
 * around the marked one, then the question, cut from its end. At 60×15 the question took the
 * rows and the marked answer, and the dialog's border, fell off the screen.
 */
function fitted(choice: Choice, width: number, height: number) {
  const count = choice.options.length;
  const question = wrapWords(choice.question, width);
  const rows = Math.max(1, height - FIXED_ROWS);
  const answers = Math.max(1, Math.min(count, rows - Math.min(question.length, 1)));
  const questionRows = Math.max(0, rows - answers);
  const spaced = questionRows > question.length;
  const shownQuestion = question.length <= questionRows ? question : questionRows === 0 ? [] : [...question.slice(0, questionRows - 1), `${question[questionRows - 1]}…`];
  const first = Math.max(0, Math.min(choice.index - Math.floor(answers / 2), count - answers));
  return { question: shownQuestion, spaced, first, last: first + answers };
}

export function ChoiceDialog({ choice, width, height, active, onAnswer }: ChoiceDialogProps) {
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
  const shown = fitted(choice, width, height);
  return (
    <Panel title={choice.title} color="yellow">
      {shown.question.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line}
        </Text>
      ))}
      <Box flexDirection="column" marginTop={shown.spaced ? 1 : 0}>
        {choice.options.slice(shown.first, shown.last).map((option, at) => {
          const i = shown.first + at;
          return (
            <Text key={option} bold={i === choice.index} color={i === choice.index ? 'cyan' : undefined} wrap="truncate-end">
              {`${i === choice.index ? '›' : ' '} ${i + 1}. ${option}`}
            </Text>
          );
        })}
      </Box>
      <Text dimColor wrap="truncate-end">
        ⏎ or the digit chooses · esc: none of them
      </Text>
    </Panel>
  );
}
