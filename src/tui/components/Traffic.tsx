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

/** The caller column's width: 28 at 80 columns, wider with the room (worker names differ at their ends), at most 64. */
function callerWidth(width: number | undefined): number {
  return width === undefined ? 28 : Math.min(64, Math.max(28, width - 32));
}

/**
 * Callers, latest first, `max` of them; `width`: the room, so long names show whole where it
 * allows. The rest are counted, with where to read them all (`keyward keys usage`).
 */
export function CallerList({ callers, now, max, empty, width }: { readonly callers: readonly CallerRow[]; readonly now: number; readonly max: number; readonly empty: string; readonly width?: number }) {
  if (callers.length === 0) return <Text dimColor>{empty}</Text>;
  const shown = [...callers].sort((a, b) => (a.lastSeenAt < b.lastSeenAt ? 1 : -1)).slice(0, max);
  const callerCells = callerWidth(width);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Cell width={callerCells} dim>CALLER</Cell>
        <Cell width={10} dim>LAST SEEN</Cell>
        <Cell width={11} align="right" dim>OK</Cell>
        <Cell width={11} align="right" dim>REJECTED</Cell>
      </Text>
      {shown.map((c) => (
        <Text key={c.caller} wrap="truncate-end">
          <Cell width={callerCells}>{c.caller}</Cell>
          <Cell width={10}>{ago(c.lastSeenAt, now)}</Cell>
          <Cell width={11} align="right">{withThousands(c.ok)}</Cell>
          <Cell width={11} align="right" color={c.rejected > 0 ? 'red' : undefined}>{withThousands(c.rejected)}</Cell>
        </Text>
      ))}
      {callers.length > max ? <Text dimColor wrap="truncate-end">{`… and ${callers.length - max} more: keyward keys usage lists all`}</Text> : null}
    </Box>
  );
}
