/** How times, counts and untrusted text read on screen. */
import stringWidth from 'string-width';
import { stripUnsafe } from '../sanitize.js';
import { widthBy } from '../text-width.js';
import { ApiError, DaemonUnreachable } from '../client/client.js';

const graphemes = new Intl.Segmenter();

/** `text` as the characters a reader sees: `👍🏽`, `🇫🇷` and `👨‍👩‍👧` are one each, not two to five. */
export function graphemesOf(text: string): string[] {
  return Array.from(graphemes.segment(text), (s) => s.segment);
}

/** Terminal columns `text` takes (wide characters count two). */
export const widthOf: (text: string) => number = widthBy(stringWidth);

/**
 * `text` in exactly `width` terminal columns: cut with `…` when wider, padded with spaces
 * when narrower. Wide characters (CJK, emoji) count as two columns.
 */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  let shown = text;
  let used = widthOf(text);
  if (used > width) {
    shown = '';
    used = 0;
    for (const { segment } of graphemes.segment(text)) {
      const w = widthOf(segment);
      if (used + w > width - 1) break;
      shown += segment;
      used += w;
    }
    shown += '…';
    used += 1;
  }
  const pad = ' '.repeat(width - used);
  return align === 'right' ? pad + shown : shown + pad;
}

/** The UTC date of an ISO time, `2025-06-01`. */
export function day(iso: string): string {
  return iso.slice(0, 10);
}

/** An ISO time as `2025-06-01 13:04:05Z`. */
export function stamp(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

/** The longest start of `text` at most `width` columns wide (at least one character). */
export function prefixOf(text: string, width: number): string {
  let head = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = widthOf(segment);
    if (head && used + w > width) break;
    head += segment;
    used += w;
  }
  return head;
}

/** A local wall-clock time, `14:02:11`. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * `text` broken into lines at most `width` columns wide, at spaces (a word longer than a line
 * is cut). Unlike Ink's own wrapping, no line after the first starts with the space it broke at.
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    let rest = word;
    while (widthOf(rest) > width) {
      if (line) lines.push(line);
      const head = prefixOf(rest, width);
      lines.push(head);
      rest = rest.slice(head.length);
      line = '';
    }
    if (!line) line = rest;
    else if (widthOf(line) + 1 + widthOf(rest) <= width) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** One line for a failed daemon call, safe to draw: the daemon's message, never a stack. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return stripUnsafe(err.message);
  if (err instanceof DaemonUnreachable) return `the daemon at ${err.url} does not answer`;
  return stripUnsafe(err instanceof Error ? err.message : String(err));
}
