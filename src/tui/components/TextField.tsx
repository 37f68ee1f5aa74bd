/**
 * A one-line text field as drawn: label, value and, while it takes the typing, a block cursor
 * (a character, so it shows without colour). A value too long for the line keeps its end in
 * view while typed into, its start otherwise, and with the cursor inside it (`room` given) the
 * stretch around the cursor; the label stays either way.
 */
import { Box, Text } from 'ink';

export type TextFieldProps = {
  readonly label: string;
  readonly value: string;
  readonly placeholder?: string;
  /** The field takes the typing (the default): it shows the cursor. */
  readonly focused?: boolean;
  readonly labelColor?: string;
  /** Where the cursor stands, in characters from the start; undefined: after the value. */
  readonly caret?: number;
  /** Columns the value has: a cursor inside a longer value is kept in view. */
  readonly room?: number;
};

export function TextField({ label, value, placeholder, focused = true, labelColor, caret, room }: TextFieldProps) {
  let chars = [...value];
  // Inside the value the cursor is the character it stands on, drawn inverse (a block would hide it).
  const inside = focused && caret !== undefined && caret < chars.length;
  let at = caret ?? chars.length;
  if (inside && room !== undefined && room > 0 && chars.length > room) {
    // Cut to `room` characters around the cursor: cut at the end alone, it went off screen.
    const start = Math.max(0, Math.min(at - Math.floor(room / 2), chars.length - room));
    chars = chars.slice(start, start + room);
    at -= start;
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
        {inside ? chars.slice(0, at).join('') : value}
        {inside ? <Text inverse>{chars[at]}</Text> : null}
        {inside ? chars.slice(at + 1).join('') : null}
        {focused && !inside ? <Text color="cyan">█</Text> : null}
        {!value && placeholder ? <Text dimColor>{focused ? ` ${placeholder}` : placeholder}</Text> : null}
      </Text>
    </Box>
  );
}
