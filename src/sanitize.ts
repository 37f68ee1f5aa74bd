/**
 * Untrusted text (key names, caller labels) must never steer a terminal. These are the
 * characters that can: C0/C1 controls (escape sequences, carriage return), format characters
 * (bidi overrides, zero-width) and line/paragraph separators.
 */
export const UNSAFE_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const UNSAFE_CHARS_GLOBAL = new RegExp(UNSAFE_CHARS.source, 'gu');

/** `text` with every unsafe character removed. */
export function stripUnsafe(text: string): string {
  return text.replace(UNSAFE_CHARS_GLOBAL, '');
}
