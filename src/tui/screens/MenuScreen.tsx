/**
 * The action menu (`enter` or `.`), like a dashboard's three-dot menu. Refused actions stay
 * listed, dimmed, with the reason (wrapped, never cut), so the operator learns why rather
 * than wondering where.
 */
import { Box, Text } from 'ink';
import { Panel } from '../components/Panel.js';
import { Prose } from '../components/Prose.js';
import { useBindings } from '../hooks/useBindings.js';
import type { MenuItem } from '../state/actions.js';
import { MENU_KEYS, type ListCommand } from '../state/keymap.js';

export type MenuScreenProps = {
  readonly keyName: string;
  /** A line about the key above the actions (why it is inactive). */
  readonly note?: string;
  readonly items: readonly MenuItem[];
  readonly index: number;
  /** Columns inside the panel. */
  readonly width: number;
  readonly active: boolean;
  readonly onCommand: (command: ListCommand) => void;
  /** A letter that is an item's shortcut. */
  readonly onShortcut: (item: MenuItem) => void;
};

const MARKER = 2;

export function MenuScreen({ keyName, note, items, index, width, active, onCommand, onShortcut }: MenuScreenProps) {
  useBindings(MENU_KEYS, onCommand, active, (name) => {
    const item = items.find((i) => i.shortcut === name);
    if (item) onShortcut(item);
  });
  const labelWidth = Math.max(...items.map((i) => i.label.length)) + 4;
  const reasonWidth = Math.max(10, width - MARKER - labelWidth);
  return (
    <Panel title={`Actions for "${keyName}"`}>
      {note ? <Prose dim width={width} text={note} /> : null}
      {items.map((item, i) => (
        <Box key={item.action}>
          <Box width={MARKER} flexShrink={0}>
            <Text color="cyan" bold>
              {i === index ? '›' : ' '}
            </Text>
          </Box>
          <Box width={labelWidth} flexShrink={0}>
            <Text wrap="truncate-end" dimColor={item.disabled !== undefined} bold={i === index && !item.disabled}>
              {`${item.label.padEnd(labelWidth - 3)} ${item.shortcut}`}
            </Text>
          </Box>
          {item.disabled ? <Prose dim width={reasonWidth} text={`(${item.disabled})`} /> : null}
        </Box>
      ))}
    </Panel>
  );
}
