/**
 * What commands print. Results go to stdout (JSON with `--json`, else tables and lines);
 * notes for the human go to stderr, so `$(keyward …)` captures only the result. Everything
 * printed passes through the sanitizer (`../sanitize.ts`): every line for a human through
 * `safeText` (controls stripped, secrets redacted), JSON through `terminalJson`. Only
 * `reveal` writes a secret, once, on purpose.
 */
import stringWidth from 'string-width';
import { safeText, terminalJson } from '../sanitize.js';

function lines(text: string): string {
  return text.replace(/\n$/, '').split('\n').map(safeText).join('\n') + '\n';
}

export function printJson(value: unknown): void {
  process.stdout.write(terminalJson(value) + '\n');
}

export function print(text: string): void {
  process.stdout.write(lines(text));
}

export function note(text: string): void {
  process.stderr.write(lines(text));
}

/** `"billing"`: an untrusted name made safe to draw, quoted so spaces stay visible. */
export function quoted(name: string): string {
  return `"${safeText(name)}"`;
}

export type Column<T> = { header: string; value: (row: T) => string; align?: 'right' };

export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const gap = ' '.repeat(Math.max(0, width - stringWidth(text)));
  return align === 'right' ? gap + text : text + gap;
}

/** Rows under a header line, columns two spaces apart, no trailing blanks. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((col) => safeText(col.value(row))));
  const widths = columns.map((col, i) => Math.max(stringWidth(col.header), ...cells.map((r) => stringWidth(r[i]!))));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => pad(v, widths[i]!, columns[i]!.align))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** `label  value` lines with the labels aligned, for one record. */
export function renderFields(fields: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${safeText(value)}`.trimEnd()).join('\n') + '\n';
}

/** A command's result: the JSON value with `--json`, else the text for a human. */
export function emit(opts: { json?: boolean }, value: unknown, human: () => string): void {
  if (opts.json) printJson(value);
  else print(human());
}

/**
 * A secret just created: with `--json` the whole answer; else the secret alone on stdout (so
 * `$(keyward …)` captures exactly it) and what it is on stderr.
 */
export function reveal(opts: { json?: boolean }, value: unknown, secret: string, message: () => string): void {
  if (opts.json) return printJson(value);
  process.stdout.write(`${secret}\n`);
  note(message());
}
