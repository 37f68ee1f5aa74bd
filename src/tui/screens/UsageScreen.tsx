/** `u`: a key's last hour, minute by minute, and who presented it. Follows usage live. */
import { Box, Text } from 'ink';
import type { KeyJson, UsageJson } from '../../client/client.js';
import { Panel } from '../components/Panel.js';
import { withThousands } from '../../thousands.js';
import { CallerList, TrafficChart } from '../components/Traffic.js';
import { ago } from '../../duration.js';
import { useBindings } from '../hooks/useBindings.js';
import { USAGE_KEYS, type BackCommand } from '../state/keymap.js';

export type UsageScreenProps = {
  readonly keyJson: KeyJson;
  readonly usage: UsageJson | undefined;
  readonly error: string | undefined;
  readonly width: number;
  readonly height: number;
  readonly now: number;
  readonly active: boolean;
  readonly onCommand: (command: BackCommand) => void;
};

export function UsageScreen({ keyJson: key, usage, error, width, height, now, active, onCommand }: UsageScreenProps) {
  useBindings(USAGE_KEYS, onCommand, active);
  return (
    <Panel title={`Usage of "${key.name}" · ${key.status} · last used ${ago(key.lastUsedAt, now)} · ${withThousands(key.uses24h)} uses in 24h`}>
      {error ? <Text color="red">{error}</Text> : null}
      {usage ? (
        <Box flexDirection="column">
          <TrafficChart
            width={width - 4}
            minutes="last 60 minutes"
            lines={[
              { label: 'accepted', values: usage.buckets.map((b) => b.ok), color: 'green' },
              { label: 'rejected', values: usage.buckets.map((b) => b.rejected), color: 'red' },
            ]}
          />
          {/* The chart is the last hour; a caller's counts are not: they run from its first sighting. */}
          <Box marginTop={1} flexDirection="column">
            <Text dimColor wrap="truncate-end">
              Callers, latest first · counts since first seen (kept 30 days)
            </Text>
            <CallerList callers={usage.callers} now={now} max={Math.max(1, height - 11)} width={width - 4} empty="No one has presented this key in the last 30 days." />
          </Box>
        </Box>
      ) : error ? null : (
        <Text dimColor>Loading…</Text>
      )}
    </Panel>
  );
}
