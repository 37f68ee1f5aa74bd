/**
 * Data loaded from the daemon and reloaded when a feed event concerns it. Reloads never
 * overlap: events arriving during one make exactly one more, so a burst costs two requests.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { KeyFeed } from '../feed.js';
import { errorText } from '../format.js';
import type { FeedEvent } from '../state/collection.js';

export type Live<T> = {
  readonly data: T | undefined;
  readonly error: string | undefined;
  reload(): void;
  /** Shows what a call of ours returned, until the next reload. */
  show(data: T): void;
};

/**
 * `load` must be memoized by the caller: a new `load` starts over. `follows` says whether an
 * event concerns the data shown (it may look at that data, e.g. a rotation's key ids).
 */
export function useLive<T>(load: (() => Promise<T>) | undefined, feed: KeyFeed, follows: (event: FeedEvent, shown: T) => boolean): Live<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const reloadRef = useRef<() => void>(() => {});
  const shown = useRef<T | undefined>(undefined);
  shown.current = data;
  const followsRef = useRef(follows);
  followsRef.current = follows;

  useEffect(() => {
    setData(undefined);
    setError(undefined);
    if (!load) return undefined;
    let cancelled = false;
    let running = false;
    let again = false;
    const run = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      do {
        again = false;
        try {
          const next = await load();
          if (!cancelled) {
            setData(next);
            setError(undefined);
          }
        } catch (err) {
          if (!cancelled) setError(errorText(err));
        }
      } while (again && !cancelled);
      running = false;
    };
    reloadRef.current = () => void run();
    void run();
    const off = feed.onEvent((event) => {
      if (shown.current !== undefined && followsRef.current(event, shown.current)) void run();
    });
    return () => {
      cancelled = true;
      off();
    };
  }, [load, feed]);

  const reload = useCallback(() => reloadRef.current(), []);
  const show = useCallback((next: T) => setData(next), []);
  return { data, error, reload, show };
}
