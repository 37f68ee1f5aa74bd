/**
 * The one sanitizer for text that reaches a terminal. Untrusted text (key and operator names,
 * caller labels, the daemon's messages) must never steer a terminal: C0/C1 controls (escape
 * sequences such as OSC 52, which rewrites the clipboard; carriage return), format characters
 * (bidi overrides, zero-width) and line/paragraph separators. Lone surrogates too: half a
 * character that UTF-8 cannot carry, so SQLite would keep bytes that read back as U+FFFD.
 */
import { redactSecrets } from './secret-text.js';

export const UNSAFE_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const UNSAFE_CHARS_GLOBAL = new RegExp(UNSAFE_CHARS.source, 'gu');

/** `text` with every unsafe character removed. */
export function stripUnsafe(text: string): string {
  return text.replace(UNSAFE_CHARS_GLOBAL, '');
}

/**
 * A message for a human (or an error envelope): unsafe characters removed, and anything shaped
 * like a key or token redacted, since messages may quote what someone pasted. Removed first, so
 * a zero-width character cannot split a secret past the redaction, and so that `safeText` of its
 * own answer changes nothing: a table measures its cells sanitized and is printed sanitized again.
 */
export function safeText(text: string): string {
  return redactSecrets(stripUnsafe(text));
}

/** What JSON.stringify leaves raw although a terminal acts on it: DEL, C1 controls, format characters, separators. */
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu;

function escapeUnits(char: string): string {
  let out = '';
  for (let i = 0; i < char.length; i++) out += `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/**
 * `value` as indented JSON that is safe to print: every string keeps its exact value (a JSON
 * reader gets it back), but C1 controls and bidi/format characters are written as `\u` escapes
 * as C0 controls already are, so `--json` output on a terminal cannot steer it either.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(JSON_UNSAFE, escapeUnits);
}

/** `terminalJson` on one line, for NDJSON. */
export function terminalJsonLine(value: unknown): string {
  return JSON.stringify(value).replace(JSON_UNSAFE, escapeUnits);
}
