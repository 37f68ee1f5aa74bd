/**
 * The rotation view (`r`): the stepper, the current step's evidence, what the guard says and,
 * after a refused advance, the refusal with the forced way past it clearly marked.
 */
import { Box, Text } from 'ink';
import type { RotationJson } from '../../client/client.js';
import { EvidencePanel } from '../components/EvidencePanel.js';
import { Panel, PANEL_ROWS } from '../components/Panel.js';
import { Prose } from '../components/Prose.js';
import { StepLine, Stepper } from '../components/Stepper.js';
import { formatElapsed } from '../../duration.js';
import { stamp, wrapWords } from '../format.js';
import { useBindings } from '../hooks/useBindings.js';
import type { Binding, RotationCommand } from '../state/keymap.js';
import { endText, isGuarded, isOpenRotation, STEPS } from '../state/rotation.js';

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
  /** Since the rotation was read (the watch window counts down in between). */
  readonly elapsedMs: number;
  readonly active: boolean;
  readonly onCommand: (command: RotationCommand) => void;
};

/** The panel's border and title, the step's title and detail (two lines), and the guard line. */
const FIXED_ROWS = PANEL_ROWS + 2 + 2;
const FORCE_TEXT = 'F = FORCE past the guard (asks first; recorded in the audit log as forced).';

/** Rows the refusal's box takes: its border and its two texts as wrapped (a long list of systems is several lines). */
function refusalRows(refusal: string | undefined, width: number): number {
  if (!refusal) return 0;
  return 2 + wrapWords(`Refused: ${refusal}`, width).length + wrapWords(FORCE_TEXT, width).length;
}

/** `Rotating "billing" → "billing-2"`; once the new key has taken the old name, that once. */
function rotationTitle(rotation: RotationJson): string {
  if (rotation.oldKeyName === rotation.newKeyName) return `Rotating "${rotation.oldKeyName}": the new key took the old one's name`;
  return `Rotating "${rotation.oldKeyName}" → "${rotation.newKeyName}"`;
}

export function RotationScreen({ rotation, error, refusal, busy, bindings, width, height, now, elapsedMs, active, onCommand }: RotationScreenProps) {
  useBindings(bindings, (command) => (!busy || command === 'back') && onCommand(command), active);
  if (!rotation) {
    return <Panel title="Rotation">{error ? <Text color="red">{error}</Text> : <Text dimColor>Loading…</Text>}</Panel>;
  }
  const step = STEPS.find((s) => s.id === rotation.step);
  const wide = width >= 100;
  // Side by side the stepper costs no rows; above the details it costs seven, or one as a line.
  const compact = !wide && height < 30;
  const stepperRows = wide ? 0 : compact ? 1 : 7;
  const detailWidth = wide ? width - 36 : width - 4;
  const scheduled = rotation.step === 'deactivate_old' && rotation.deactivateAt !== null && rotation.deactivateAt !== undefined;
  return (
    <Panel title={rotationTitle(rotation)}>
      <Box flexDirection={wide ? 'row' : 'column'} columnGap={2}>
        {compact ? <StepLine rotation={rotation} /> : <Stepper rotation={rotation} />}
        <Box flexDirection="column" flexGrow={1} flexShrink={1}>
          {isOpenRotation(rotation) ? <Prose text={`${step?.title}: ${step?.detail}`} width={detailWidth} /> : <Prose text={endText(rotation)} width={detailWidth} bold />}
          {scheduled ? (
            <Prose
              text={`The daemon deactivates the old key at ${stamp(rotation.deactivateAt!)} (in ${formatElapsed(Date.parse(rotation.deactivateAt!) - now)}); n does it now.`}
              width={detailWidth}
              color="yellow"
            />
          ) : null}
          {isOpenRotation(rotation) ? (
            <Box marginTop={1}>
              <EvidencePanel rotation={rotation} width={detailWidth} now={now} elapsedMs={elapsedMs} rows={height - FIXED_ROWS - stepperRows - refusalRows(refusal, detailWidth - 4)} />
            </Box>
          ) : null}
          {isGuarded(rotation.step) && !refusal ? (
            rotation.evidence.canAdvance ? (
              <Prose text="✓ The guard passes: n goes to the next step." width={detailWidth} color="green" />
            ) : rotation.evidence.guard && rotation.step === 'verify_new' ? (
              // After the cut-over the evidence panel says what holds the guard, counting down.
              <Prose text={`Guard: ${rotation.evidence.guard}`} width={detailWidth} color="yellow" />
            ) : null
          ) : null}
          {refusal ? (
            <Box flexDirection="column" borderStyle="single" borderColor="red" paddingX={1}>
              <Prose text={`Refused: ${refusal}`} width={detailWidth - 4} color="red" bold />
              <Prose text={FORCE_TEXT} width={detailWidth - 4} color="red" />
            </Box>
          ) : null}
          {error ? <Prose text={error} width={detailWidth} color="red" /> : null}
          {busy ? <Text dimColor>Working…</Text> : null}
        </Box>
      </Box>
    </Panel>
  );
}
