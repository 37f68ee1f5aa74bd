/**
 * The in-memory sighting counter's caller cap bounds one batch (a flush, a replica's ack), not
 * the daemon's life: callers drained, all at once or a part at a time, free their places, and
 * a failed flush's sightings come back with theirs.
 */
import { describe, expect, it } from 'vitest';
import { NO_CALLER, OPEN_ALERTS_PER_KEY } from '../../src/daemon/alerts/dedup.js';
import { SightingCounter } from '../../src/daemon/alerts/sightings.js';
import type { Sighting } from '../../src/decide/verify.js';

const canary: Sighting = { kind: 'canary.tripped', entry: { id: 'key_bait', name: 'bait', status: 'active', expiresAt: null, canary: true } };
const callers = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `caller-${from + i}`);

function see(counter: SightingCounter, names: readonly string[]): void {
  for (const name of names) counter.record(canary, name, undefined, Date.now());
}

function counted(counter: SightingCounter, names: readonly string[]): string[] {
  see(counter, names);
  return counter.drain().map((s) => s.caller);
}

describe('SightingCounter', () => {
  it('counts callers beyond the cap without one, until the batch is drained', () => {
    const counter = new SightingCounter();
    const first = counted(counter, callers(OPEN_ALERTS_PER_KEY + 5));
    expect(first.filter((c) => c !== NO_CALLER)).toHaveLength(OPEN_ALERTS_PER_KEY);
    expect(first).toContain(NO_CALLER);
    expect(counted(counter, ['new-caller']), 'the store decides against the alerts open then').toEqual(['new-caller']);
  });

  it('frees the places of the callers a partial drain takes (a replica reports 100 an ack)', () => {
    const counter = new SightingCounter();
    see(counter, callers(OPEN_ALERTS_PER_KEY));
    expect(counter.drain(10).map((s) => s.caller)).toEqual(callers(10));
    see(counter, [...callers(10, 500), 'one-too-many']);
    expect(counter.drain().map((s) => s.caller)).toEqual([...callers(90, 10), ...callers(10, 500), NO_CALLER]);
  });

  it('takes back a failed flush with its callers, who keep their places and their counts', () => {
    const counter = new SightingCounter();
    see(counter, callers(OPEN_ALERTS_PER_KEY));
    const failed = counter.drain();
    see(counter, ['caller-0']);
    counter.restore(failed);
    see(counter, ['one-too-many']);
    const again = counter.drain();
    expect(again.map((s) => s.caller)).toEqual([...callers(OPEN_ALERTS_PER_KEY), NO_CALLER]);
    expect(again[0]!.count).toBe(2);
  });
});
