/**
 * A one-line text field as drawn: label, value and, while it takes the typing, a block cursor
 * (a character, so it shows without colour). A value too long for the line keeps its end in
 * view while typed into, its start otherwise; the label stays either way.
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
};

export function TextField({ label, value, placeholder, focused = true, labelColor, caret }: TextFieldProps) {
  const chars = [...value];
  // Inside the value the cursor is the character it stands on, drawn inverse (a block would hide it).
  const inside = focused && caret !== undefined && caret < chars.length;
  // The label stands apart from the value: a long value cut from its start keeps the label, which says what the field is.
  return (
    <Box>
      <Box flexShrink={0}>
        <Text bold color={labelColor}>
          {label}
        </Text>
      </Box>
      <Text wrap={focused && !inside ? 'truncate-start' : 'truncate-end'}>
        {inside ? chars.slice(0, caret).join('') : value}
        {inside ? <Text inverse>{chars[caret]}</Text> : null}
        {inside ? chars.slice(caret + 1).join('') : null}
        {focused && !inside ? <Text color="cyan">█</Text> : null}
        {!value && placeholder ? <Text dimColor>{focused ? ` ${placeholder}` : placeholder}</Text> : null}
      </Text>
    </Box>
  );
}
