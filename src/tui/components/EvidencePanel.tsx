/**
 * What keyward saw for the current rotation step (DESIGN.md §5 "evidence shown"): counts,
 * last use, callers, and both keys' traffic per minute, followed by what the guard says.
 */
import { Box, Text } from 'ink';
import type { RotationJson } from '../../client/client.js';
import { ago, stamp } from '../format.js';
import { CallerList, TrafficChart } from './Traffic.js';

export type EvidencePanelProps = { readonly rotation: RotationJson; readonly width: number; readonly now: number; readonly callerRows: number };

export function EvidencePanel({ rotation, width, now, callerRows }: EvidencePanelProps) {
  const { newKey, oldKey, series } = rotation.evidence;
  const summary =
    rotation.step === 'verify_new'
      ? `New key "${newKey.name}": ${newKey.ok} accepted, ${newKey.rejected} rejected since ${stamp(newKey.since)} · last used ${ago(newKey.lastUsedAt, now)}`
      : rotation.step === 'deactivate_old'
        ? `Old key "${oldKey.name}": ${oldKey.ok} accepted, ${oldKey.rejected} rejected in the last 15 minutes · last used ${ago(oldKey.lastUsedAt, now)}`
        : `Since the old key was deactivated (${stamp(oldKey.since)}): new key ${newKey.ok} accepted · old key presented ${oldKey.rejected} time(s)`;
  const callers = rotation.step === 'verify_new' ? newKey.callers : oldKey.callers;
  const callersTitle = rotation.step === 'verify_new' ? 'Callers of the new key' : 'Callers still presenting the old key';
  return (
    <Box flexDirection="column">
      <Text wrap="wrap" bold>
        {summary}
      </Text>
      <Box marginY={1}>
        <TrafficChart
          width={width}
          minutes="last 30 minutes"
          lines={[
            { label: 'new key', values: series.map((m) => m.newOk + m.newRejected), color: 'green' },
            { label: 'old key', values: series.map((m) => m.oldOk + m.oldRejected), color: 'yellow' },
          ]}
        />
      </Box>
      <Text dimColor>{callersTitle}</Text>
      <CallerList callers={callers} now={now} max={callerRows} empty="none seen" />
    </Box>
  );
}
