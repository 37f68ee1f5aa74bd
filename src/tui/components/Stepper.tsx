/** The six rotation steps, top to bottom: done ones ticked, the current one highlighted. */
import { Box, Text } from 'ink';
import type { RotationJson } from '../../client/client.js';
import { STEPS, stepState } from '../state/rotation.js';

const MARK = { done: '✓', current: '›', todo: ' ' } as const;

/** `✓✓✓›·· 4/6 Double-check traffic`: the stepper in one line, for short terminals. */
export function StepLine({ rotation }: { readonly rotation: RotationJson }) {
  const at = STEPS.findIndex((s) => s.id === rotation.step);
  const marks = STEPS.map((step) => ({ done: '✓', current: '›', todo: '·' })[stepState(rotation, step.id)]).join('');
  const where = rotation.step === 'cancelled' ? '✗ cancelled' : `${at + 1}/${STEPS.length} ${STEPS[at]?.title ?? ''}`;
  return (
    <Text bold color="cyan" wrap="truncate-end">
      {`${marks} ${where}`}
    </Text>
  );
}

export function Stepper({ rotation }: { readonly rotation: RotationJson }) {
  return (
    <Box flexDirection="column" flexShrink={0} width={30}>
      {STEPS.map((step, i) => {
        const state = stepState(rotation, step.id);
        return (
          <Text key={step.id} wrap="truncate-end" bold={state === 'current'} color={state === 'current' ? 'cyan' : undefined} dimColor={state === 'todo'}>
            {`${MARK[state]} ${i + 1}. ${step.title}`}
          </Text>
        );
      })}
      {rotation.step === 'cancelled' ? <Text color="yellow">✗ cancelled</Text> : null}
    </Box>
  );
}
