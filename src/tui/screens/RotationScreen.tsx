/**
 * The rotation view (`r`): the stepper, the current step's evidence, what the guard says and,
 * after a refused advance, the refusal with the forced way past it clearly marked.
 */
import { Box, Text } from 'ink';
import type { RotationJson } from '../../client/client.js';
import { EvidencePanel } from '../components/EvidencePanel.js';
import { Panel } from '../components/Panel.js';
import { Stepper } from '../components/Stepper.js';
import { useBindings } from '../hooks/useBindings.js';
import type { Binding, RotationCommand } from '../state/keymap.js';
import { endText, isGuarded, isOpenRotation, showsEvidence, STEPS } from '../state/rotation.js';

export type RotationScreenProps = {
  readonly rotation: RotationJson | undefined;
  readonly error: string | undefined;
  /** The daemon's reason for refusing the last advance. */
  readonly refusal: string | undefined;
  readonly busy: boolean;
  readonly bindings: readonly Binding<RotationCommand>[];
  readonly width: number;
  readonly height: number;
  readonly now: number;
  readonly active: boolean;
  readonly onCommand: (command: RotationCommand) => void;
};

export function RotationScreen({ rotation, error, refusal, busy, bindings, width, height, now, active, onCommand }: RotationScreenProps) {
  useBindings(bindings, (command) => (!busy || command === 'back') && onCommand(command), active);
  if (!rotation) {
    return <Panel title="Rotation">{error ? <Text color="red">{error}</Text> : <Text dimColor>Loading…</Text>}</Panel>;
  }
  const step = STEPS.find((s) => s.id === rotation.step);
  const wide = width >= 100;
  const detailWidth = wide ? width - 36 : width - 4;
  return (
    <Panel title={`Rotating "${rotation.oldKeyName}" → "${rotation.newKeyName}"`}>
      <Box flexDirection={wide ? 'row' : 'column'} columnGap={2}>
        <Stepper rotation={rotation} />
        <Box flexDirection="column" flexGrow={1} flexShrink={1}>
          {isOpenRotation(rotation) ? (
            <Text wrap="wrap">
              <Text bold color="cyan">{`${step?.title}: `}</Text>
              {step?.detail}
            </Text>
          ) : (
            <Text bold wrap="wrap">
              {endText(rotation)}
            </Text>
          )}
          {showsEvidence(rotation.step) ? (
            <Box marginTop={1}>
              <EvidencePanel rotation={rotation} width={detailWidth} now={now} callerRows={Math.max(1, height - (wide ? 14 : 20))} />
            </Box>
          ) : null}
          {isGuarded(rotation.step) && !refusal ? (
            rotation.evidence.canAdvance ? (
              <Text color="green" wrap="wrap">✓ The guard passes: n goes to the next step.</Text>
            ) : rotation.evidence.guard ? (
              <Text color="yellow" wrap="wrap">{`Guard: ${rotation.evidence.guard}`}</Text>
            ) : null
          ) : null}
          {refusal ? (
            <Box flexDirection="column" borderStyle="single" borderColor="red" paddingX={1}>
              <Text color="red" bold wrap="wrap">{`Refused: ${refusal}`}</Text>
              <Text color="red" wrap="wrap">F = FORCE past the guard (asks first; recorded in the audit log as forced).</Text>
            </Box>
          ) : null}
          {error ? <Text color="red" wrap="wrap">{error}</Text> : null}
          {busy ? <Text dimColor>Working…</Text> : null}
        </Box>
      </Box>
    </Panel>
  );
}
