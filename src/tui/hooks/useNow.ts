/**
 * The current time, moved on as often as what is drawn needs it: `intervalAt(now)` says how
 * long after `now` the next tick is due. The deadline counts from the last tick, so a new
 * `intervalAt` (the keys changed) never pushes a due tick further away.
 */
import { useEffect, useState } from 'react';

export function useNow(intervalAt: (now: number) => number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setTimeout(() => setNow(Date.now()), Math.max(0, now + intervalAt(now) - Date.now()));
    return () => clearTimeout(timer);
  }, [now, intervalAt]);
  return now;
}
