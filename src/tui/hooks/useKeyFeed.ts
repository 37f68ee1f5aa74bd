/** The live key collection for a component tree: one feed per client, started while mounted. */
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import type { KeywardClient } from '../../client/client.js';
import { KeyFeed, type FeedOptions, type FeedSnapshot } from '../feed.js';

export function useKeyFeed(client: KeywardClient, options?: FeedOptions): { feed: KeyFeed; snapshot: FeedSnapshot } {
  // The options only tune timings; a new object each render must not restart the stream.
  const feed = useMemo(() => new KeyFeed(client, options), [client]);
  useEffect(() => {
    feed.start();
    return () => feed.stop();
  }, [feed]);
  const snapshot = useSyncExternalStore(feed.subscribe, feed.getSnapshot);
  return { feed, snapshot };
}
