/**
 * What reaches the terminal. Ink runs in debug mode, which hands over every frame whole as
 * plain lines; this writer sends only the lines that changed, placed by absolute position on
 * the alternate screen, and at most once per interval (the newest frame wins). Moving the
 * cursor then costs two lines instead of a screen, which keeps a slow SSH link usable. (Ink 6's
 * own incremental mode misplaces every line by one when a frame ends in a newline, and its
 * full-screen mode clears the terminal on each frame.)
 */
import { EventEmitter } from 'node:events';

/** Terminals that know it show a frame at once instead of line by line; others ignore it. */
const BEGIN_SYNC = '\x1b[?2026h';
const END_SYNC = '\x1b[?2026l';
const CLEAR = '\x1b[H\x1b[2J';

function at(row: number): string {
  return `\x1b[${row + 1};1H`;
}

type Scroll = { readonly top: number; readonly bottom: number; readonly by: 1 | -1 };

/**
 * Whether `next` is mostly `previous` moved one line up or down within the block of lines
 * that changed, as when the cursor walks off the edge of the table.
 */
function scrollBetween(previous: readonly string[], next: readonly string[]): Scroll | undefined {
  if (previous.length !== next.length) return undefined;
  let top = 0;
  while (top < next.length && previous[top] === next[top]) top++;
  let bottom = next.length - 1;
  while (bottom > top && previous[bottom] === next[bottom]) bottom--;
  if (bottom - top < 3) return undefined;
  for (const by of [1, -1] as const) {
    let same = 0;
    for (let row = top; row <= bottom; row++) if (row + by >= top && row + by <= bottom && previous[row + by] === next[row]) same++;
    if (same * 2 > bottom - top + 1) return { top, bottom, by };
  }
  return undefined;
}

/**
 * The bytes that turn a screen showing `previous` (undefined: unknown, so clear it) into
 * `next`, line by line from the top; each written line is erased first and resets its style after.
 * A block that moved by one line is scrolled by the terminal (a scroll region) rather than
 * redrawn.
 */
export function frameDiff(previous: readonly string[] | undefined, next: readonly string[]): string {
  let out = previous === undefined ? CLEAR : '';
  let shown = previous ?? [];
  const scroll = previous && scrollBetween(previous, next);
  if (scroll) {
    const { top, bottom, by } = scroll;
    out += `\x1b[${top + 1};${bottom + 1}r${by > 0 ? '\x1b[S' : '\x1b[T'}\x1b[r`;
    shown = previous.map((line, row) => (row < top || row > bottom ? line : row + by >= top && row + by <= bottom ? previous[row + by]! : ''));
  }
  next.forEach((line, row) => {
    // Erase first, then draw: with autowrap off (see terminal.ts) the cursor stays on the last
    // column after a full-width line, and erasing after it would take that column's character.
    if (shown[row] !== line) out += `${at(row)}\x1b[K${line}\x1b[0m`;
  });
  for (let row = next.length; row < shown.length; row++) out += `${at(row)}\x1b[K`;
  return out;
}

/** Stands in for stdout towards Ink: its size and resizes are the terminal's. */
export class ScreenWriter extends EventEmitter {
  readonly isTTY = true;
  private shown: string[] | undefined;
  private pending: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = Number.NEGATIVE_INFINITY;
  /** Bytes sent to the terminal so far (the benchmark reports them). */
  bytes = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly intervalMs: number,
  ) {
    super();
    out.on('resize', this.resized);
  }

  get columns(): number {
    return this.out.columns;
  }

  get rows(): number {
    return this.out.rows;
  }

  write(frame: string): boolean {
    if (frame === '') return true;
    this.pending = frame;
    if (this.timer) return true;
    const wait = this.lastFlush + this.intervalMs - performance.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
    return true;
  }

  /** Ctrl-L: clears the terminal and draws the whole frame again (something else drew on it). */
  repaint(): void {
    if (this.pending === undefined && this.shown !== undefined) this.pending = this.shown.join('\n');
    this.shown = undefined;
    this.flush();
  }

  /** Sends the newest frame now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === undefined) return;
    const lines = this.pending.split('\n').slice(0, this.rows || undefined);
    this.pending = undefined;
    const diff = frameDiff(this.shown, lines);
    this.shown = lines;
    // A frame that changes nothing on screen (a page loaded out of sight) is not a frame sent:
    // it must not hold back the next one, which may answer a keystroke.
    if (diff === '') return;
    this.lastFlush = performance.now();
    const data = BEGIN_SYNC + diff + END_SYNC;
    this.bytes += Buffer.byteLength(data);
    this.out.write(data);
  }

  /** Flushes and stops following the terminal. */
  close(): void {
    this.flush();
    this.out.off('resize', this.resized);
  }

  private readonly resized = () => {
    // The terminal may have rewrapped or cleared what was shown: repaint all of it.
    this.shown = undefined;
    this.emit('resize');
  };
}
