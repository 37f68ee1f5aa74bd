/**
 * What keyward saw for the current rotation step, as the step needs it: the systems to update
 * (the old key's callers) and who has switched, counts and callers of each key, the watch
 * window's countdown after the cut-over, and both keys' traffic per minute when there is room.
 */
import { Box, Text } from 'ink';
import type { RotationJson } from '../../client/client.js';
import type { SystemJson } from '../../daemon/rotation/schemas.js';
import { plural, withThousands } from '../../thousands.js';
import { ago } from '../../duration.js';
import { stamp, wrapWords } from '../format.js';
import { presentedText, watchProgress, watchText } from '../state/rotation.js';
import { Cell } from './Cell.js';
import { Prose } from './Prose.js';
import { CallerList, TrafficChart } from './Traffic.js';

export type EvidencePanelProps = {
  readonly rotation: RotationJson;
  readonly width: number;
  readonly now: number;
  /** Since the evidence was read: the watch window counts down between reads. */
  readonly elapsedMs: number;
  /** Rows the panel may fill. */
  readonly rows: number;
};

/** Rows the per-minute chart takes (three lines and a blank one), drawn only when lists still fit. */
const CHART_ROWS = 4;

type SystemListProps = { readonly title: string; readonly systems: readonly SystemJson[]; readonly now: number; readonly width: number; readonly max: number; readonly empty: string };

/** Columns of a system's last use on each key: `old key 12m ago`, `✓ new key just now` / `not on the new key yet`. */
const OLD_COLUMN = 17;
const NEW_COLUMN = 22;
/** Caller labels are at most this wide: wider, the columns drift too far apart to read across. */
const CALLER_MAX = 32;

function SystemList({ title, systems, now, width, max, empty }: SystemListProps) {
  const shown = systems.slice(0, Math.max(1, max));
  const callerWidth = Math.min(CALLER_MAX, Math.max(10, width - OLD_COLUMN - NEW_COLUMN - 3));
  return (
    <Box flexDirection="column">
      <Text dimColor wrap="truncate-end">
        {`${title} (${systems.length})`}
      </Text>
      {systems.length === 0 ? <Text dimColor>{empty}</Text> : null}
      {shown.map((s) => (
        <Text key={s.caller} wrap="truncate-end">
          <Cell width={callerWidth}>{s.caller}</Cell>
          <Cell width={OLD_COLUMN}>{`old key ${ago(s.oldLastSeenAt, now)}`}</Cell>
          <Cell width={NEW_COLUMN} color={s.newLastSeenAt ? 'green' : 'yellow'}>
            {s.newLastSeenAt ? `✓ new key ${ago(s.newLastSeenAt, now)}` : 'not on the new key yet'}
          </Cell>
        </Text>
      ))}
      {/* The view has no room to scroll them: say where the whole list is. */}
      {systems.length > shown.length ? <Text dimColor wrap="truncate-end">{`… and ${systems.length - shown.length} more: a taller terminal, or keyward rotations show, lists all`}</Text> : null}
    </Box>
  );
}

function Chart({ rotation, width }: { readonly rotation: RotationJson; readonly width: number }) {
  const { series } = rotation.evidence;
  return (
    <Box marginBottom={1}>
      <TrafficChart
        width={width}
        minutes="last 30 minutes"
        lines={[
          { label: 'new key', values: series.map((m) => m.newOk + m.newRejected), color: 'green' },
          { label: 'old key', values: series.map((m) => m.oldOk + m.oldRejected), color: 'yellow' },
        ]}
      />
    </Box>
  );
}

/** Whether `rows` leave room for the chart beside the lists, and the rows the lists then get. */
function room(rows: number): { chart: boolean; left: number } {
  const chart = rows >= CHART_ROWS + 8;
  return { chart, left: rows - 1 - (chart ? CHART_ROWS : 0) };
}

/** A key's counts in one bold paragraph, with the chart below when there is room. */
function Headline({ rotation, width, chart, children }: { readonly rotation: RotationJson; readonly width: number; readonly chart: boolean; readonly children: string }) {
  return (
    <>
      <Prose text={children} width={width} bold />
      {chart ? <Chart rotation={rotation} width={width} /> : null}
    </>
  );
}

export function EvidencePanel({ rotation, width, now, elapsedMs, rows }: EvidencePanelProps) {
  const { newKey, oldKey, systems } = rotation.evidence;
  const all = [...systems.yetToSwitch, ...systems.switched].sort((a, b) => b.oldLastSeenAt.localeCompare(a.oldLastSeenAt));
  switch (rotation.step) {
    case 'update_systems':
      return (
        <Box flexDirection="column">
          <SystemList title="Systems to update: the old key's callers" systems={all} now={now} width={width} max={rows - 2} empty="none seen (callers are what verify calls pass as `caller`)" />
          <Text dimColor wrap="truncate-end">
            {watchText(rotation, elapsedMs)}
          </Text>
        </Box>
      );
    case 'verify_new': {
      const { chart, left } = room(rows);
      return (
        <Box flexDirection="column">
          <Headline rotation={rotation} width={width} chart={chart}>
            {`New key "${newKey.name}": ${withThousands(newKey.ok)} accepted, ${withThousands(newKey.rejected)} rejected since ${stamp(newKey.since)} · last used ${ago(newKey.lastUsedAt, now)}`}
          </Headline>
          <SystemList title="Systems to update" systems={all} now={now} width={width} max={Math.ceil(left / 2) - 1} empty="none seen on the old key" />
          <Text dimColor>Callers of the new key</Text>
          <CallerList callers={newKey.callers} now={now} max={Math.max(1, Math.floor(left / 2) - 2)} empty="none seen" />
        </Box>
      );
    }
    case 'deactivate_old': {
      const { chart, left } = room(rows);
      return (
        <Box flexDirection="column">
          <Headline rotation={rotation} width={width} chart={chart}>
            {`Old key "${oldKey.name}": ${withThousands(oldKey.ok)} accepted, ${withThousands(oldKey.rejected)} rejected in the last 15 minutes · last used ${ago(oldKey.lastUsedAt, now)}`}
          </Headline>
          <SystemList title="Yet to switch: seen on the old key, not on the new one" systems={systems.yetToSwitch} now={now} width={width} max={left - 3} empty={systems.switched.length ? 'none: every caller seen on the old key has switched' : 'no caller seen on the old key'} />
          <Text wrap="truncate-end">
            <Text color="green">{`Switched (${systems.switched.length}): `}</Text>
            {systems.switched.map((s) => s.caller).join(', ') || 'none yet'}
          </Text>
          <Text dimColor wrap="truncate-end">
            {watchText(rotation, elapsedMs)}
          </Text>
        </Box>
      );
    }
    default: {
      // double_check and delete_old: since the cut-over, with the watch window counting down.
      const { leftMs } = watchProgress(rotation, elapsedMs);
      const summary = `Since the old key was deactivated (${stamp(oldKey.since)}): new key ${withThousands(newKey.ok)} accepted · old key presented ${plural(oldKey.rejected, 'time')}`;
      const presented = presentedText(rotation);
      const presentedRows = presented ? wrapWords(presented, width).length : 0;
      // Below the summary and the countdown, short of rows (a refusal below it at 80×24): the
      // callers give way to one line saying where they are listed, then the advice goes.
      const left = rows - wrapWords(summary, width).length - 1;
      const listed = left - presentedRows >= 4;
      const advised = presented !== undefined && left - presentedRows >= (listed ? 4 : 1);
      const chart = listed && left - presentedRows >= CHART_ROWS + 5;
      const callerRows = left - (advised ? presentedRows : 0) - (chart ? CHART_ROWS : 0) - 2;
      return (
        <Box flexDirection="column">
          <Prose text={summary} width={width} bold />
          <Text bold color={leftMs > 0 ? 'yellow' : 'green'} wrap="truncate-end">
            {watchText(rotation, elapsedMs)}
          </Text>
          {advised ? <Prose text={presented} width={width} color="red" /> : null}
          {chart ? <Chart rotation={rotation} width={width} /> : null}
          {listed ? <Text dimColor>Callers still presenting the old key (their counts: all time)</Text> : null}
          {listed ? (
            <CallerList callers={oldKey.callers} now={now} max={Math.max(1, callerRows - (oldKey.callers.length > callerRows ? 1 : 0))} empty="none since the cut-over" />
          ) : oldKey.callers.length > 0 && left >= 1 ? (
            <Text dimColor wrap="truncate-end">{`${plural(oldKey.callers.length, 'caller')} presented the old key: keyward keys usage lists them`}</Text>
          ) : null}
        </Box>
      );
    }
  }
}
