/**
 * How many times the event loop turned while `work` ran, and the longest it went without a
 * turn: a ticker re-armed with `setImmediate` counts the loop's check phases. No turns means
 * `work` never left the microtask queue, so nothing else (a request, a timer, a heartbeat)
 * could run until it ended; a long gap means one task held the loop that long.
 */
export async function countTurns<T>(work: () => Promise<T>): Promise<{ result: T; turns: number; longestGapMs: number }> {
  let turns = 0;
  let running = true;
  let last = performance.now();
  let longestGapMs = 0;
  const tick = () => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    const result = await work();
    return { result, turns, longestGapMs: Math.max(longestGapMs, performance.now() - last) };
  } finally {
    running = false;
  }
}
