/**
 * Printing a list that arrives in pages without holding it: `keys list` at a million keys
 * writes each page as it comes and waits for stdout to drain before asking for the next. The
 * table's widths come from its first page (later wider cells push their row out rather than
 * hold the whole list back); `--json` writes the same document `printJson` would, key by key;
 * `--ndjson` one key a line.
 */
import { once } from 'node:events';
import { safeText, terminalJson, terminalJsonLine } from '../sanitize.js';
import { widthsFor } from '../text-width.js';
import { layoutFor, tableLine, type Column, type Layout } from './output.js';

export type StreamFormat = 'table' | 'json' | 'ndjson';

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** Prints every page of `pages` as `format`; answers how many rows it printed. */
export async function streamRows<T>(pages: AsyncIterable<readonly T[]> | Iterable<readonly T[]>, format: StreamFormat, columns: readonly Column<T>[], field: string): Promise<number> {
  let count = 0;
  let layout: Layout | undefined;
  for await (const page of pages) {
    if (page.length === 0) continue;
    if (format === 'ndjson') {
      await write(page.map((row) => terminalJsonLine(row) + '\n').join(''));
    } else if (format === 'json') {
      const body = page.map((row) => indent(terminalJson(row))).join(',\n');
      await write(count === 0 ? `{\n  "${field}": [\n${body}` : `,\n${body}`);
    } else {
      const cells = page.map((row) => columns.map((col) => safeText(col.value(row))));
      const header = columns.map((c) => c.header);
      layout ??= await layoutFor(header, cells);
      // The widths stay the first page's; a later page's cells are measured as they are (one with wide characters needs string-width).
      const pageLayout: Layout = { widths: layout.widths, widthOf: await widthsFor(cells.flat()) };
      const line = (values: readonly string[]) => tableLine(values, pageLayout, columns) + '\n';
      await write((count === 0 ? line(header) : '') + cells.map(line).join(''));
    }
    count += page.length;
  }
  if (format === 'json') await write(count === 0 ? `{\n  "${field}": []\n}\n` : '\n  ]\n}\n');
  return count;
}

function indent(json: string): string {
  return json.replace(/^/gm, '    ');
}
