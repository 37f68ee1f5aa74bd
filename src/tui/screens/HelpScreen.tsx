/** `?`: every key of every screen, from the same bindings the screens use. */
import { Box, Text } from 'ink';
import { Panel } from '../components/Panel.js';
import { useBindings } from '../hooks/useBindings.js';
import { ADD_KEYS, AUDIT_KEYS, BACK_KEYS, CONFIRM_KEYS, MENU_KEYS, ROTATION_KEYS, SECRET_KEYS, TABLE_KEYS, type Binding } from '../state/keymap.js';

type Section = { readonly title: string; readonly bindings: readonly Binding<string>[] };

const SECTIONS: readonly Section[] = [
  { title: 'Keys table', bindings: TABLE_KEYS },
  { title: 'Action menu', bindings: MENU_KEYS },
  { title: 'Add', bindings: ADD_KEYS },
  { title: 'New secret', bindings: SECRET_KEYS },
  { title: 'Questions', bindings: CONFIRM_KEYS },
  { title: 'Rotation', bindings: ROTATION_KEYS },
  { title: 'Audit', bindings: AUDIT_KEYS },
];

const KEYS_WIDTH = 12;
const COLUMN_WIDTH = 40;

/** Sections in order, split into `count` columns of about equal height. */
function intoColumns(sections: readonly Section[], count: number): Section[][] {
  const height = (s: Section) => s.bindings.length + 2;
  const target = sections.reduce((sum, s) => sum + height(s), 0) / count;
  const columns: Section[][] = [[]];
  let filled = 0;
  for (const section of sections) {
    if (filled > 0 && filled + height(section) / 2 > target && columns.length < count) {
      columns.push([]);
      filled = 0;
    }
    columns[columns.length - 1]!.push(section);
    filled += height(section);
  }
  return columns;
}

function keysText(keys: readonly string[]): string {
  return keys.map((k) => (k === 'enter' ? '⏎' : k)).join(' ');
}

export function HelpScreen({ active, onBack, columns }: { readonly active: boolean; readonly onBack: () => void; readonly columns: number }) {
  useBindings(BACK_KEYS, onBack, active);
  const count = Math.max(1, Math.min(3, Math.floor((columns - 4) / COLUMN_WIDTH)));
  return (
    <Panel title="Keys">
      <Box flexDirection="row">
        {intoColumns(SECTIONS, count).map((column, i) => (
          <Box key={i} flexDirection="column" width={COLUMN_WIDTH - 1} marginRight={1}>
            {column.map((section) => (
              <Box key={section.title} flexDirection="column" marginBottom={1}>
                <Text bold>{section.title}</Text>
                {section.bindings.map((b) => (
                  <Text key={b.command} wrap="truncate-end">
                    <Text color="cyan">{keysText(b.keys).padEnd(KEYS_WIDTH)}</Text>
                    {b.help}
                  </Text>
                ))}
              </Box>
            ))}
          </Box>
        ))}
      </Box>
    </Panel>
  );
}
