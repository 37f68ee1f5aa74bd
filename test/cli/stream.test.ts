/**
 * `keyward keys list` streams (src/cli/stream.ts): each page is written to stdout as it comes,
 * before the next is asked for, and not before stdout has drained what it was given. A list
 * collected whole before printing would hold a million keys in memory and print nothing until
 * the last page arrived.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeywardClient } from '../../src/client/client.js';
import type { Column } from '../../src/cli/output.js';
import { streamRows, type StreamFormat } from '../../src/cli/stream.js';
import { startTestDaemon } from '../helpers/daemon.js';

type Row = { name: string };
const columns: Column<Row>[] = [{ header: 'NAME', value: (r) => r.name }];

/**
 * What happens, in order: `page N` when the page source is asked for page N, `write TEXT` for
 * each write to stdout (captured, not printed; `accept` says whether stdout took it all).
 */
function recordStdout(accept: () => boolean = () => true): string[] {
  const events: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    events.push(`write ${String(chunk)}`);
    return accept();
  });
  return events;
}
afterEach(() => {
  vi.restoreAllMocks();
});

/** An async source of `pages`, noting in `events` when each is asked for, and `end` when asked past the last. */
async function* pageSource(events: string[], pages: readonly (readonly Row[])[]): AsyncGenerator<readonly Row[]> {
  for (const [i, page] of pages.entries()) {
    events.push(`page ${i + 1}`);
    // Each page arrives later, as from the daemon.
    await new Promise((resolve) => setImmediate(resolve));
    yield page;
  }
  events.push('end');
}

const PAGES = [[{ name: 'alpha' }, { name: 'bravo' }], [{ name: 'charlie' }]];

describe('streamRows', () => {
  const expected: Record<StreamFormat, string[]> = {
    ndjson: ['page 1', 'write {"name":"alpha"}\n{"name":"bravo"}\n', 'page 2', 'write {"name":"charlie"}\n', 'end'],
    json: [
      'page 1',
      'write {\n  "keys": [\n    {\n      "name": "alpha"\n    },\n    {\n      "name": "bravo"\n    }',
      'page 2',
      'write ,\n    {\n      "name": "charlie"\n    }',
      'end',
      'write \n  ]\n}\n',
    ],
    table: ['page 1', 'write NAME\nalpha\nbravo\n', 'page 2', 'write charlie\n', 'end'],
  };
  for (const format of ['ndjson', 'json', 'table'] as const) {
    it(`writes each page as ${format} before asking for the next`, async () => {
      const events = recordStdout();
      const printed = await streamRows(pageSource(events, PAGES), format, columns, 'keys');
      vi.restoreAllMocks();
      expect(printed).toBe(3);
      expect(events).toEqual(expected[format]);
      if (format === 'json') expect(JSON.parse(events.filter((e) => e.startsWith('write ')).map((e) => e.slice(6)).join(''))).toEqual({ keys: PAGES.flat() });
    });
  }

  it('asks for the next page only once stdout has drained the last', async () => {
    let full = true;
    const events = recordStdout(() => !full);
    const drainWaiters = process.stdout.listenerCount('drain');
    const streaming = streamRows(pageSource(events, PAGES), 'ndjson', columns, 'keys');
    // stdout took the first page but is full: streamRows waits for it to drain.
    await vi.waitFor(() => expect(process.stdout.listenerCount('drain')).toBe(drainWaiters + 1));
    expect(events).toEqual(['page 1', 'write {"name":"alpha"}\n{"name":"bravo"}\n']);
    full = false;
    process.stdout.emit('drain');
    expect(await streaming).toBe(3);
    vi.restoreAllMocks();
    expect(events.slice(2)).toEqual(['page 2', 'write {"name":"charlie"}\n', 'end']);
  });

  it("prints the daemon's first page of keys before the client asks for the second (client.keyPages)", async () => {
    const t = await startTestDaemon();
    try {
      for (const name of ['alpha', 'bravo', 'charlie']) await t.client.createKey(name);
      const events: string[] = [];
      const recording: typeof fetch = (input, init) => {
        const url = new URL(String(input instanceof Request ? input.url : input));
        if (url.pathname === '/v1/keys') events.push(url.searchParams.has('cursor') ? 'page after' : 'page 1');
        return t.fetch(input, init);
      };
      const client = new KeywardClient({ url: t.url, token: t.adminToken, fetch: recording });
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        events.push(`write ${[...String(chunk).matchAll(/"name":"(\w+)"/g)].map((m) => m[1]).join(' ')}`);
        return true;
      });
      const printed = await streamRows(client.keyPages({ sort: 'name', limit: 2 }), 'ndjson', [], 'keys');
      vi.restoreAllMocks();
      expect(printed).toBe(3);
      expect(events).toEqual(['page 1', 'write alpha bravo', 'page after', 'write charlie']);
    } finally {
      await t.stop();
    }
  });
});
