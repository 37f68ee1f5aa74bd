/**
 * What commands print. Results go to stdout (JSON with `--json`, else tables and lines);
 * notes for the human go to stderr, so `$(keyward …)` captures only the result. Everything
 * printed passes through the sanitizer (`../sanitize.ts`): every line for a human through
 * `safeText` (controls stripped, secrets redacted), JSON through `terminalJson`. Only
 * `reveal` writes a secret, once, on purpose.
 */
import { hasSecretShape, type SecretKind } from '../secret-shape.js';
import { safeText, terminalJson } from '../sanitize.js';
import { widthsFor } from '../text-width.js';
import { refused } from './exit.js';

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

/** `text`, `width` columns wide by `widthOf`, padded with spaces on the side away from `align`. */
function pad(text: string, width: number, widthOf: (text: string) => number, align: 'left' | 'right' = 'left'): string {
  const gap = ' '.repeat(Math.max(0, width - widthOf(text)));
  return align === 'right' ? gap + text : text + gap;
}

/** How a table's lines are laid out: each column's width, and how a cell is measured. */
export type Layout = { widths: number[]; widthOf: (text: string) => number };

/** The layout that fits `header` and `cells` (string-width is imported only when some cell needs it). */
export async function layoutFor(header: readonly string[], cells: readonly (readonly string[])[]): Promise<Layout> {
  const widthOf = await widthsFor([...header, ...cells.flat()]);
  return { widthOf, widths: header.map((h, i) => Math.max(widthOf(h), ...cells.map((r) => widthOf(r[i]!)))) };
}

/** One row of cells laid out: columns two spaces apart, no trailing blanks. */
export function tableLine<T>(values: readonly string[], layout: Layout, columns: readonly Column<T>[]): string {
  return values
    .map((v, i) => pad(v, layout.widths[i]!, layout.widthOf, columns[i]!.align))
    .join('  ')
    .trimEnd();
}

/** Rows under a header line, columns two spaces apart, no trailing blanks. */
export async function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): Promise<string> {
  const header = columns.map((c) => c.header);
  const cells = rows.map((row) => columns.map((col) => safeText(col.value(row))));
  const layout = await layoutFor(header, cells);
  return [header, ...cells].map((values) => tableLine(values, layout, columns)).join('\n') + '\n';
}

/** `label  value` lines with the labels aligned, for one record. */
export function renderFields(fields: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${safeText(value)}`.trimEnd()).join('\n') + '\n';
}

/** A command's result: the JSON value with `--json`, else the text for a human. */
export async function emit(opts: { json?: boolean }, value: unknown, human: () => string | Promise<string>): Promise<void> {
  if (opts.json) printJson(value);
  else print(await human());
}

/**
 * A secret just created: with `--json` the whole answer; else the secret alone on stdout (so
 * `$(keyward …)` captures exactly it) and what it is on stderr. It is the one text printed
 * unsanitized, so it must have its shape first: a daemon given with `--url` could answer a
 * "secret" that clears the screen or writes the clipboard (OSC 52). A malformed one is never
 * printed, in either form.
 */
export function reveal(opts: { json?: boolean }, value: unknown, kind: SecretKind, secret: string, message: () => string): void {
  if (!hasSecretShape(kind, secret)) throw refused(`the daemon answered a malformed ${kind}; it was not printed`);
  if (opts.json) return printJson(value);
  process.stdout.write(`${secret}\n`);
  note(message());
}
