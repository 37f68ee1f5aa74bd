/**
 * How many times the event loop turned while `work` ran: a ticker re-armed with `setImmediate`
 * counts the loop's check phases. None means `work` never left the microtask queue, so nothing
 * else (a request, a timer, a heartbeat) could run until it ended.
 */
export async function countTurns<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let running = true;
  const tick = () => {
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    const result = await work();
    return { result, turns };
  } finally {
    running = false;
  }
}
