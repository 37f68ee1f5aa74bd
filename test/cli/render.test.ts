/** The CLI's pure pieces: tables, times, name matching, failures → exit codes. */
import { CommanderError } from 'commander';
import stringWidth from 'string-width';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, DaemonUnreachable } from '../../src/client/client.js';
import { describeFailure, errorLine, refused } from '../../src/cli/exit.js';
import { ago } from '../../src/duration.js';
import { futureTime, shortTime } from '../../src/cli/format.js';
import { sameName } from '../../src/cli/lookup.js';
import { renderFields, renderTable } from '../../src/cli/output.js';
import { streamRows } from '../../src/cli/stream.js';
import { isNarrow, widthsFor } from '../../src/text-width.js';

describe('renderTable', () => {
  it('aligns columns by display width and strips terminal control from cells', async () => {
    const rows = [
      { name: '账单', uses: 7 },
      { name: 'evil\u001b[2J\u202Ename', uses: 1234 },
    ];
    const text = await renderTable(rows, [
      { header: 'NAME', value: (r) => r.name },
      { header: 'USES', value: (r) => String(r.uses), align: 'right' },
    ]);
    // 账单 is two columns wide per character: four in all, like NAME.
    expect(text).toBe(['NAME         USES', `账单${' '.repeat(12)}7`, 'evil[2Jname  1234', ''].join('\n'));
  });

  it('streams pages in the first page\'s widths, measuring a later page\'s wide characters as wide', async () => {
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    try {
      const pages = [[{ name: 'a-long-narrow-name' }], [{ name: '账单' }], [{ name: 'b—…' }]];
      await streamRows(pages, 'table', [{ header: 'NAME', value: (r) => r.name }, { header: 'N', value: () => '1', align: 'right' }], 'rows');
    } finally {
      write.mockRestore();
    }
    const lines = written.join('').trimEnd().split('\n');
    // Every row's second column starts at the same terminal column: 账单 is four columns wide, not two.
    expect(lines.map((l) => stringWidth(l))).toEqual([21, 21, 21, 21]);
    expect(lines[2]).toBe(`账单${' '.repeat(16)}1`);
  });

  it('counts printable ASCII and the marks keyward prints as one column each, as string-width does, and nothing else', async () => {
    for (const text of ['plain text ~!@#', '—', '…', 'never — 5m ago…']) {
      expect(isNarrow(text), text).toBe(true);
      expect(stringWidth(text)).toBe(text.length);
    }
    for (const text of ['账单', 'é', 'e\u0301', '🔑', '\t', 'ﬁ']) expect(isNarrow(text), text).toBe(false);
    expect((await widthsFor(['abc', 'x—']))('abcdef')).toBe(6);
    const wide = await widthsFor(['abc', '账单']);
    expect([wide('账单'), wide('e\u0301'), wide('🔑'), wide('abc')]).toEqual([4, 1, 2, 3]);
  });

  it('renders fields with aligned labels and no unsafe characters', () => {
    expect(renderFields([['name', 'a\rb'], ['last used', 'never']])).toBe('name       ab\nlast used  never\n');
  });
});

describe('times', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it('formats ISO times in UTC to the minute, and spans relative to now', () => {
    expect(shortTime('2025-06-01T09:05:59.999Z')).toBe('2025-06-01 09:05Z');
    expect(shortTime(null)).toBe('—');
    expect(ago(null, now)).toBe('never');
    expect(ago('2025-06-01T11:59:30Z', now)).toBe('just now');
    expect(ago('2025-06-01T11:55:00Z', now)).toBe('5m ago');
    expect(ago('2025-05-30T12:00:00Z', now)).toBe('2d ago');
    expect(ago('2025-06-01T15:00:00Z', now)).toBe('in 3h');
    // Time left in its two largest units: two days less a minute is not "in 1d".
    expect(ago('2025-06-03T11:59:00Z', now)).toBe('in 1d23h');
    expect(ago('2025-06-01T12:00:30Z', now)).toBe('just now');
  });

  it('reads a future time option, refusing the past and non-dates as usage errors', () => {
    expect(futureTime('--at', '2025-06-02', now)).toBe('2025-06-02T00:00:00.000Z');
    expect(() => futureTime('--at', '2025-05-01', now)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/in the past/) }));
    expect(() => futureTime('--at', 'tomorrow', now)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it('reads only ISO-8601 times that exist: no rolled-over days, no other formats', () => {
    expect(futureTime('--at', '2028-02-29', now)).toBe('2028-02-29T00:00:00.000Z');
    expect(futureTime('--at', '2030-01-31T12:00+01:00', now)).toBe('2030-01-31T11:00:00.000Z');
    expect(futureTime('--at', '2030-01-31T12:00:00.123456Z', now)).toBe('2030-01-31T12:00:00.123Z');
    for (const typo of ['2030-02-30', '2030-02-29', '2030-13-01', '2030-00-10', '2030-01-31T24:00Z', '2030-01-31T12:60Z', '2030-01-31T12:00+25:00', '12/31/2030', '2030-1-5', '2030', '30d']) {
      expect(() => futureTime('--expires', typo, now), typo).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/is not a date/) }));
    }
  });
});

describe('names and failures', () => {
  it('matches a name reference the way the daemon folds names', () => {
    expect(sameName('Billing', ' billing ')).toBe(true);
    expect(sameName('café', 'CAFE\u0301')).toBe(true);
    expect(sameName('billing', 'billing-2')).toBe(false);
  });

  it('maps each failure to its exit code and one line', () => {
    expect(describeFailure(new DaemonUnreachable('http://127.0.0.1:7420'))).toMatchObject({ exitCode: 3, line: expect.stringMatching(/^no keyward daemon answers/) });
    expect(describeFailure(new ApiError(409, 'key_active', 'Key "x" is active'))).toEqual({ exitCode: 1, line: 'Key "x" is active (key_active)' });
    expect(describeFailure(refused('no'))).toEqual({ exitCode: 1, line: 'no' });
    expect(describeFailure(new CommanderError(1, 'commander.unknownOption', 'x'))).toEqual({ exitCode: 2 });
    expect(describeFailure(new CommanderError(0, 'commander.helpDisplayed', 'x'))).toEqual({ exitCode: 0 });
    expect(describeFailure(new CommanderError(0, 'commander.help', 'x')), 'keyward keys help').toEqual({ exitCode: 0 });
    expect(errorLine('two\nlines \u001b[31m')).toBe('keyward: two lines [31m\n');
  });
});
