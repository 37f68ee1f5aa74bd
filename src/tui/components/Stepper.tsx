/** The six rotation steps, top to bottom: done ones ticked, the current one highlighted. */
import { Box, Text } from 'ink';
import type { RotationJson } from '../../client/client.js';
import { STEPS, stepState } from '../state/rotation.js';

const MARK = { done: '✓', current: '›', todo: ' ' } as const;

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
