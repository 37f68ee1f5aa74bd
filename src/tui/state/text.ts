/**
 * Editing a one-line text field: typing (or pasting) appends, backspace removes the last character;
 * a field with a caret (the add and edit forms) edits where it stands (`editAt`). A character is
 * what a reader sees as one (a grapheme): the caret never stops inside a flag or a skin tone, and
 * backspace never leaves half of one.
 */
import { UNSAFE_CHARS } from '../../sanitize.js';
import { graphemesOf } from '../format.js';

/** The longest filter or search typed (the daemon's own limits are near it). */
const FIELD_MAX = 200;
/**
 * The longest text a key form's field takes: 64 scopes of up to 128 characters, a list as long
 * pasted. The daemon checks each field's own limit; capped at 200 here, a 512-character
 * description or a long allow list could not even be typed.
 */
export const FORM_FIELD_MAX = 10_000;

/** `value` after a keypress named `name` (see keyName) that typed `input`. */
export function edit(value: string, name: string, input: string, max = FIELD_MAX): string {
  if (name === 'backspace') return graphemesOf(value).slice(0, -1).join('');
  if (name === 'ctrl+u') return '';
  if (name !== input) return value;
  // Pastes, and keys read together over a slow link, arrive as one string: DEL and BS in it
  // erase, other control characters (newlines, escapes) are dropped.
  let text = value;
  for (const char of input) {
    if (char === '\x7f' || char === '\b') text = graphemesOf(text).slice(0, -1).join('');
    else if (!UNSAFE_CHARS.test(char)) text += char;
  }
  return graphemesOf(text).slice(0, max).join('');
}

/** Keys that move a caret, and where each puts it (chars from the start; the length is the end). */
const CARET_MOVES: Readonly<Record<string, (at: number, length: number) => number>> = {
  left: (at) => Math.max(0, at - 1),
  right: (at, length) => Math.min(length, at + 1),
  home: () => 0,
  'ctrl+a': () => 0,
  end: (_, length) => length,
  'ctrl+e': (_, length) => length,
};

/**
 * `value` and its caret after a keypress: the moves above move it; anything else edits the text
 * before it as `edit` edits a whole value, the text after it kept. `caret` undefined: at the end,
 * where it stays as the text grows.
 */
export function editAt(value: string, caret: number | undefined, name: string, input: string, max = FIELD_MAX): { value: string; caret: number | undefined } {
  const chars = graphemesOf(value);
  const at = Math.min(caret ?? chars.length, chars.length);
  const move = CARET_MOVES[name];
  if (move) {
    const to = move(at, chars.length);
    return { value, caret: to === chars.length ? undefined : to };
  }
  const after = chars.slice(at).join('');
  const before = graphemesOf(edit(chars.slice(0, at).join(''), name, input, max));
  const room = Math.max(0, max - (chars.length - at));
  const kept = before.slice(0, room);
  return { value: kept.join('') + after, caret: after ? kept.length : undefined };
}
