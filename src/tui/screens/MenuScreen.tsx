/**
 * The action menu (`enter` or `.`), like a dashboard's three-dot menu. Refused actions stay
 * listed, dimmed, with the reason, so the operator learns why rather than wondering where.
 */
import { Box, Text } from 'ink';
import { Panel } from '../components/Panel.js';
import { useBindings } from '../hooks/useBindings.js';
import type { MenuItem } from '../state/actions.js';
import { MENU_KEYS, type ListCommand } from '../state/keymap.js';

export type MenuScreenProps = {
  readonly keyName: string;
  readonly items: readonly MenuItem[];
  readonly index: number;
  readonly active: boolean;
  readonly onCommand: (command: ListCommand) => void;
  /** A letter that is an item's shortcut. */
  readonly onShortcut: (item: MenuItem) => void;
};

export function MenuScreen({ keyName, items, index, active, onCommand, onShortcut }: MenuScreenProps) {
  useBindings(MENU_KEYS, onCommand, active, (name) => {
    const item = items.find((i) => i.shortcut === name);
    if (item) onShortcut(item);
  });
  return (
    <Panel title={`Actions for "${keyName}"`}>
      {items.map((item, i) => (
        <Box key={item.action}>
          <Box width={2} flexShrink={0}>
            <Text color="cyan" bold>
              {i === index ? '›' : ' '}
            </Text>
          </Box>
          <Text wrap="truncate-end" dimColor={item.disabled !== undefined} bold={i === index && !item.disabled}>
            {`${item.label.padEnd(28)} ${item.shortcut}`}
            {item.disabled ? `  (${item.disabled})` : ''}
          </Text>
        </Box>
      ))}
    </Panel>
  );
}
