/** Editing a one-line text field: typing (or pasting) appends, backspace removes the last character. */
import { UNSAFE_CHARS } from '../../sanitize.js';

const FIELD_MAX = 200;

/** `value` after a keypress named `name` (see keyName) that typed `input`. */
export function edit(value: string, name: string, input: string): string {
  if (name === 'backspace') return [...value].slice(0, -1).join('');
  if (name === 'ctrl+u') return '';
  if (name !== input) return value;
  // Pastes, and keys read together over a slow link, arrive as one string: DEL and BS in it
  // erase, other control characters (newlines, escapes) are dropped.
  const chars = [...value];
  for (const char of input) {
    if (char === '\x7f' || char === '\b') chars.pop();
    else if (!UNSAFE_CHARS.test(char)) chars.push(char);
  }
  return chars.slice(0, FIELD_MAX).join('');
}
