/** A one-line text field as drawn: label, value and a block cursor (a character, so it shows without colour). */
import { Text } from 'ink';

export type TextFieldProps = { readonly label: string; readonly value: string; readonly placeholder?: string };

export function TextField({ label, value, placeholder }: TextFieldProps) {
  return (
    <Text wrap="truncate-start">
      <Text bold>{label}</Text>
      {value}
      <Text color="cyan">█</Text>
      {!value && placeholder ? <Text dimColor>{` ${placeholder}`}</Text> : null}
    </Text>
  );
}
