/** The terminal writer: only changed lines, placed absolutely, newest frame per interval. */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { frameDiff, ScreenWriter } from '../../src/tui/screen-writer.js';

class FakeTerminal extends EventEmitter {
  columns = 80;
  rows = 24;
  readonly writes: string[] = [];
  write(data: string): boolean {
    this.writes.push(data);
    return true;
  }
}

function writerOn(terminal: FakeTerminal, intervalMs: number): ScreenWriter {
  return new ScreenWriter(terminal as unknown as NodeJS.WriteStream, intervalMs);
}

describe('frameDiff', () => {
  it('clears and draws everything when the screen is unknown', () => {
    expect(frameDiff(undefined, ['a', 'b'])).toBe('\x1b[H\x1b[2J\x1b[1;1H\x1b[Ka\x1b[0m\x1b[2;1H\x1b[Kb\x1b[0m');
  });

  it('rewrites only the lines that changed and erases lines no longer drawn', () => {
    expect(frameDiff(['a', 'b', 'c'], ['a', 'B', 'c'])).toBe('\x1b[2;1H\x1b[KB\x1b[0m');
    expect(frameDiff(['a', 'b', 'c'], ['a'])).toBe('\x1b[2;1H\x1b[K\x1b[3;1H\x1b[K');
    expect(frameDiff(['a'], ['a'])).toBe('');
  });
});

describe('ScreenWriter', () => {
  it('sends the first frame at once, then at most one per interval, the newest winning', async () => {
    const terminal = new FakeTerminal();
    const writer = writerOn(terminal, 40);
    writer.write('one\nline');
    expect(terminal.writes.length, 'leading frame goes out at once').toBe(1);
    writer.write('two\nline');
    writer.write('three\nline');
    expect(terminal.writes.length, 'frames within the interval wait').toBe(1);
    await expect.poll(() => terminal.writes.length, { interval: 5 }).toBe(2);
    expect(terminal.writes[1], 'only the newest frame, only its changed line').toBe('\x1b[?2026h\x1b[1;1H\x1b[Kthree\x1b[0m\x1b[?2026l');
    expect(writer.bytes).toBe(terminal.writes.reduce((n, w) => n + Buffer.byteLength(w), 0));
    writer.close();
  });

  it('sends a changed frame at once after a frame that changed nothing', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const terminal = new FakeTerminal();
      const writer = writerOn(terminal, 50);
      writer.write('one\nline');
      writer.write('one\nline');
      vi.advanceTimersByTime(50);
      expect(terminal.writes.length, 'the same frame again sends nothing').toBe(1);
      vi.advanceTimersByTime(10);
      writer.write('two\nline');
      expect(terminal.writes.length, 'the interval runs from the last frame sent, not from the empty one').toBe(2);
      writer.write('three\nline');
      expect(terminal.writes.length, 'the next one waits its interval').toBe(2);
      vi.advanceTimersByTime(50);
      expect(terminal.writes.length).toBe(3);
      writer.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('repaints everything after a resize and passes the resize on', () => {
    const terminal = new FakeTerminal();
    const writer = writerOn(terminal, 0);
    let resized = 0;
    writer.on('resize', () => resized++);
    writer.write('a\nb');
    terminal.columns = 100;
    terminal.emit('resize');
    expect(resized).toBe(1);
    expect(writer.columns).toBe(100);
    writer.write('a\nb');
    expect(terminal.writes[1]).toContain('\x1b[2J');
    writer.close();
    terminal.emit('resize');
    expect(resized, 'closed: no longer follows').toBe(1);
  });

  it('never draws below the terminal', () => {
    const terminal = new FakeTerminal();
    terminal.rows = 2;
    const writer = writerOn(terminal, 0);
    writer.write('a\nb\nc');
    expect(terminal.writes[0]).not.toContain('\x1b[3;1H');
    writer.close();
  });
});

describe('frameDiff scrolling', () => {
  const table = (first: number) => ['header', ...Array.from({ length: 10 }, (_, i) => `row ${first + i}`), 'footer'];

  it('scrolls a block that moved up by one line and draws only the line that came in', () => {
    expect(frameDiff(table(0), table(1))).toBe('\x1b[2;11r\x1b[S\x1b[r\x1b[11;1H\x1b[Krow 10\x1b[0m');
  });

  it('scrolls down as well, and leaves unrelated changes to plain rewrites', () => {
    expect(frameDiff(table(1), table(0))).toBe('\x1b[2;11r\x1b[T\x1b[r\x1b[2;1H\x1b[Krow 0\x1b[0m');
    const other = table(0).map((line, i) => (i > 0 && i < 11 ? `other ${i}` : line));
    expect(frameDiff(table(0), other)).not.toContain('r\x1b[S');
  });
});
