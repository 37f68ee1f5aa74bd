/**
 * `?`: every key of every screen as one scrollable list, the screen it was opened from first;
 * `/` narrows it as you type. It fits any terminal the TUI runs in (down to 60×15).
 */
import { Box, Text } from 'ink';
import { Panel } from '../components/Panel.js';
import { TextField } from '../components/TextField.js';
import { useBindings } from '../hooks/useBindings.js';
import type { HelpLine } from '../state/help.js';
import { HELP_KEYS, HELP_SEARCH_KEYS, type FieldCommand, type HelpCommand } from '../state/keymap.js';

export type HelpScreenProps = {
  /** Every line that matches the search; `offset` and `height` say which are shown. */
  readonly lines: readonly HelpLine[];
  readonly offset: number;
  readonly height: number;
  readonly query: string;
  readonly searching: boolean;
  readonly active: boolean;
  /** The list's commands, or the search field's (`submit`, `cancel`) while searching. */
  readonly onCommand: (command: HelpCommand | FieldCommand) => void;
  /** A key typed into the search (see `edit`). */
  readonly onEdit: (name: string, input: string) => void;
};

const KEYS_WIDTH = 14;

export function HelpScreen({ lines, offset, height, query, searching, active, onCommand, onEdit }: HelpScreenProps) {
  // One listener: the search field's keys while typing, the list's otherwise.
  useBindings<HelpCommand | FieldCommand>(searching ? HELP_SEARCH_KEYS : HELP_KEYS, onCommand, active, searching ? onEdit : undefined);
  const shown = lines.slice(offset, offset + height);
  const range = lines.length > height ? ` · ${offset + 1}–${offset + shown.length} of ${lines.length}` : '';
  return (
    <Panel title={`Keys${range} · j/k scroll · / search · esc back`}>
      {searching || query ? <TextField label="/" value={query} placeholder="a key or what it does" focused={searching} /> : null}
      {lines.length === 0 ? <Text dimColor>{`Nothing in the help matches "${query}"`}</Text> : null}
      <Box flexDirection="column">
        {shown.map((line, i) =>
          line.kind === 'title' ? (
            <Text key={i} bold wrap="truncate-end">
              {line.text}
            </Text>
          ) : (
            <Text key={i} wrap="truncate-end" dimColor={line.needs !== undefined}>
              <Text color={line.needs ? undefined : 'cyan'}>{`  ${line.keys}`.padEnd(KEYS_WIDTH)}</Text>
              {line.needs ? `${line.text} (needs ${line.needs})` : line.text}
            </Text>
          ),
        )}
      </Box>
    </Panel>
  );
}
