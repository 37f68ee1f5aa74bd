/** Per-minute traffic lines on one scale, and the callers behind it. */
import { Box, Text } from 'ink';
import { ago } from '../../duration.js';
import { withThousands } from '../../thousands.js';
import { sparkline } from '../state/sparkline.js';
import { Cell } from './Cell.js';

export type TrafficLine = { readonly label: string; readonly values: readonly number[]; readonly color?: string };

const LABEL = 10;

/** Lines of the same length, scaled together, cut to the most recent minutes that fit `width`. */
export function TrafficChart({ lines, width, minutes }: { readonly lines: readonly TrafficLine[]; readonly width: number; readonly minutes: string }) {
  const room = Math.max(5, width - LABEL - 12);
  const max = Math.max(0, ...lines.flatMap((l) => l.values.slice(-room)));
  return (
    <Box flexDirection="column">
      {lines.map((line) => {
        const shown = line.values.slice(-room);
        const total = shown.reduce((a, b) => a + b, 0);
        return (
          <Text key={line.label} wrap="truncate-end">
            {line.label.padEnd(LABEL)}
            <Text color={line.color}>{sparkline(shown, max)}</Text>
            {` ${total}`}
          </Text>
        );
      })}
      <Text dimColor wrap="truncate-end">{`${''.padEnd(LABEL)}per minute, ${minutes}; · = none`}</Text>
    </Box>
  );
}

export type CallerRow = { readonly caller: string; readonly lastSeenAt: string; readonly ok: number; readonly rejected: number };

export function CallerList({ callers, now, max, empty }: { readonly callers: readonly CallerRow[]; readonly now: number; readonly max: number; readonly empty: string }) {
  if (callers.length === 0) return <Text dimColor>{empty}</Text>;
  const shown = [...callers].sort((a, b) => (a.lastSeenAt < b.lastSeenAt ? 1 : -1)).slice(0, max);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Cell width={28} dim>CALLER</Cell>
        <Cell width={10} dim>LAST SEEN</Cell>
        <Cell width={11} align="right" dim>OK</Cell>
        <Cell width={11} align="right" dim>REJECTED</Cell>
      </Text>
      {shown.map((c) => (
        <Text key={c.caller} wrap="truncate-end">
          <Cell width={28}>{c.caller}</Cell>
          <Cell width={10}>{ago(c.lastSeenAt, now)}</Cell>
          <Cell width={11} align="right">{withThousands(c.ok)}</Cell>
          <Cell width={11} align="right" color={c.rejected > 0 ? 'red' : undefined}>{withThousands(c.rejected)}</Cell>
        </Text>
      ))}
      {callers.length > max ? <Text dimColor>{`… and ${callers.length - max} more`}</Text> : null}
    </Box>
  );
}
