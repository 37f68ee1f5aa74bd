/**
 * Terminal columns a text takes, for the CLI's tables and the TUI's cells. Nearly everything
 * keyward prints is printable ASCII, plus the `—` and `…` it writes itself: one column a
 * character, so its length. Anything else goes to string-width (wide CJK and emoji count two,
 * combining marks none), whose Unicode tables (an `Intl.Segmenter`, the RGI emoji set) take
 * ~50 ms of CPU to build: a third of a CLI command's start-up when it was imported up front.
 * The CLI therefore imports it only when a table holds other text (`widthsFor`).
 */

/** Characters that each take one column, as string-width counts them (`—` and `…` are East Asian ambiguous: narrow). */
const NARROW = /^[\x20-\x7e—…]*$/;

/** Whether every character of `text` takes exactly one column, so its width is its length. */
export function isNarrow(text: string): boolean {
  return NARROW.test(text);
}

/** A width function: a narrow text's length, anything else's width by `stringWidth`. */
export function widthBy(stringWidth: (text: string) => number): (text: string) => number {
  return (text) => (isNarrow(text) ? text.length : stringWidth(text));
}

/** A width function good for every one of `texts`: their length when all are narrow, else string-width, imported now. */
export async function widthsFor(texts: Iterable<string>): Promise<(text: string) => number> {
  for (const text of texts) {
    if (!isNarrow(text)) return widthBy((await import('string-width')).default);
  }
  return (t) => t.length;
}
