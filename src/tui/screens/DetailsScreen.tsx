/**
 * `d`: everything about the key under the cursor — its policy in words, owner, description,
 * expiry, times and meta — cut to fit the screen (see `detailLines`). j/k go to the next and
 * previous key without leaving; quota left follows verifications live.
 */
import { Box, Text } from 'ink';
import type { AlertJson, KeyJson } from '../../client/client.js';
import { Panel, PANEL_ROWS } from '../components/Panel.js';
import { useBindings } from '../hooks/useBindings.js';
import { detailLines, LABEL_WIDTH, type Tone } from '../state/details.js';
import { DETAILS_KEYS, type DetailsCommand } from '../state/keymap.js';

export type DetailsScreenProps = {
  readonly keyJson: KeyJson | undefined;
  /** The open alerts the TUI holds; the key's own are listed under its status. */
  readonly openAlerts: ReadonlyMap<string, AlertJson>;
  /** Why the newest copy of the key could not be loaded (the table's copy is shown meanwhile). */
  readonly error: string | undefined;
  /** Columns inside the panel. */
  readonly width: number;
  /** Rows for the panel, border included. */
  readonly height: number;
  readonly now: number;
  readonly active: boolean;
  readonly onCommand: (command: DetailsCommand) => void;
};


const TONE_COLOR: Record<Tone, string | undefined> = { dim: undefined, warn: 'yellow', bad: 'red' };

export function DetailsScreen({ keyJson: key, openAlerts, error, width, height, now, active, onCommand }: DetailsScreenProps) {
  useBindings(DETAILS_KEYS, onCommand, active);
  if (!key) {
    return (
      <Panel title="Details">
        <Text dimColor>No key selected</Text>
      </Panel>
    );
  }
  const rows = height - PANEL_ROWS - (error ? 1 : 0);
  return (
    <Panel title={`Key "${key.name}" · ${key.id} · ${key.hint}`}>
      {error ? (
        <Text color="red" wrap="truncate-end">
          {`✗ ${error}`}
        </Text>
      ) : null}
      {detailLines(key, now, width, rows, openAlerts.values()).map((line, i) => (
        <Box key={i}>
          <Box width={LABEL_WIDTH} flexShrink={0}>
            <Text bold={line.label !== ''} dimColor>
              {line.label}
            </Text>
          </Box>
          <Text wrap="truncate-end" dimColor={line.tone === 'dim'} color={line.tone ? TONE_COLOR[line.tone] : undefined}>
            {line.text}
          </Text>
        </Box>
      ))}
    </Panel>
  );
}
