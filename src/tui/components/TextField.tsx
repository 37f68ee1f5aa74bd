/**
 * A one-line text field as drawn: label, value and, while it takes the typing, a block cursor
 * (a character, so it shows without colour). A value too long for the line keeps its end in
 * view while typed into, its start otherwise, and with the cursor inside it the stretch around
 * the cursor; the label stays either way. With `room` the value is cut here, by terminal
 * columns (a CJK character takes two), so it never runs over the panel's border.
 */
import { Box, Text } from 'ink';
import { graphemesOf, prefixOf, widthOf } from '../format.js';

export type TextFieldProps = {
  readonly label: string;
  readonly value: string;
  readonly placeholder?: string;
  /** The field takes the typing (the default): it shows the cursor. */
  readonly focused?: boolean;
  readonly labelColor?: string;
  /** Where the cursor stands, in characters from the start; undefined: after the value. */
  readonly caret?: number;
  /** Columns the value has. */
  readonly room?: number;
};

/**
 * Where the run of `chars` that fits in `columns` ends, going on from `from`; `backwards`: where
 * it starts, going back from `from`.
 */
function fitting(chars: readonly string[], columns: number, from: number, backwards = false): number {
  let used = 0;
  let i = from;
  for (; backwards ? i > 0 : i < chars.length; backwards ? i-- : i++) {
    const w = widthOf(chars[backwards ? i - 1 : i]!);
    if (used + w > columns) break;
    used += w;
  }
  return i;
}

/** The stretch of `chars` around `at` that fits in `room` columns, the cursor near its middle. */
function around(chars: readonly string[], at: number, room: number): { start: number; end: number } {
  const half = Math.floor((room - widthOf(chars[at]!)) / 2);
  let start = fitting(chars, half, at, true);
  const end = fitting(chars, room - widthOf(chars.slice(start, at + 1).join('')), at + 1);
  // Near the end, the room left over goes to the text before the cursor.
  start = fitting(chars, room - widthOf(chars.slice(start, end).join('')), start, true);
  return { start, end };
}

export function TextField({ label, value, placeholder, focused = true, labelColor, caret, room }: TextFieldProps) {
  const chars = graphemesOf(value);
  // Inside the value the cursor is the character it stands on, drawn inverse (a block would hide it).
  const inside = focused && caret !== undefined && caret < chars.length;
  let before = value;
  let under = '';
  let after = '';
  if (inside) {
    const { start, end } = room !== undefined && widthOf(value) > room ? around(chars, caret, room) : { start: 0, end: chars.length };
    before = chars.slice(start, caret).join('');
    under = chars[caret]!;
    after = chars.slice(caret + 1, end).join('');
  } else if (room !== undefined && widthOf(value) + (focused ? 1 : 0) > room) {
    // Typing at the end keeps the end in view; otherwise the start shows.
    before = focused ? `…${chars.slice(fitting(chars, room - 2, chars.length, true)).join('')}` : `${prefixOf(value, room - 1)}…`;
  }
  // The label stands apart from the value: a long value cut from its start keeps the label, which says what the field is.
  return (
    <Box>
      <Box flexShrink={0}>
        <Text bold color={labelColor}>
          {label}
        </Text>
      </Box>
      <Text wrap={focused && !inside ? 'truncate-start' : 'truncate-end'}>
        {before}
        {inside ? <Text inverse>{under}</Text> : null}
        {inside ? after : null}
        {focused && !inside ? <Text color="cyan">█</Text> : null}
        {!value && placeholder ? <Text dimColor>{focused ? ` ${placeholder}` : placeholder}</Text> : null}
      </Text>
    </Box>
  );
}
