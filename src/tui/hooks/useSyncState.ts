/**
 * State whose latest value is readable at once. Several keys can be handled before React
 * re-renders (all keys of one read from the terminal are), so a key handler that asked the
 * rendered state which key is selected or which dialog is open could act on a stale answer.
 */
import { useCallback, useRef, useState } from 'react';

export type SyncState<T> = readonly [value: T, set: (next: T | ((current: T) => T)) => void, current: () => T];

export function useSyncState<T>(initial: T): SyncState<T> {
  const [value, setValue] = useState(initial);
  const latest = useRef(initial);
  const set = useCallback((next: T | ((current: T) => T)) => {
    latest.current = typeof next === 'function' ? (next as (current: T) => T)(latest.current) : next;
    setValue(latest.current);
  }, []);
  const current = useCallback(() => latest.current, []);
  return [value, set, current] as const;
}
