/**
 * Untrusted text (key names, caller labels) must never steer a terminal. These are the
 * characters that can: C0/C1 controls (escape sequences, carriage return), format characters
 * (bidi overrides, zero-width) and line/paragraph separators. Lone surrogates too: half a
 * character that UTF-8 cannot carry, so SQLite would keep bytes that read back as U+FFFD.
 */
export const UNSAFE_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const UNSAFE_CHARS_GLOBAL = new RegExp(UNSAFE_CHARS.source, 'gu');

/** `text` with every unsafe character removed. */
export function stripUnsafe(text: string): string {
  return text.replace(UNSAFE_CHARS_GLOBAL, '');
}
