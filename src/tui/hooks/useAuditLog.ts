/**
 * The audit log as the audit view pages through it: the newest page first, older pages as
 * the cursor nears the end of what is loaded (no cap), and newer events merged in when the
 * feed reports a change. Each page is asked of the daemon with the filter, so pages are full
 * and continue exactly where the last one stopped.
 */
import { useEffect, useRef, useState } from 'react';
import type { KeywardClient } from '../../client/client.js';
import type { KeyFeed } from '../feed.js';
import { errorText } from '../format.js';
import type { AuditFilter } from '../state/audit.js';
import { auditLine, type AuditLine } from '../state/safe.js';

/** Events asked for at once: a first screen comes fast, and scrolling on asks for the next. */
const AUDIT_PAGE = 1000;

export type AuditLog = {
  readonly lines: readonly AuditLine[] | undefined;
  readonly error: string | undefined;
  /** True once the oldest event matching the filter is loaded. */
  readonly complete: boolean;
};

type Loaded = { readonly lines: readonly AuditLine[]; readonly complete: boolean };

/**
 * `filter` undefined: the view is closed and nothing loads. `wanted`: how many lines the view
 * needs loaded (the cursor and a screen beyond it).
 */
export function useAuditLog(client: KeywardClient, feed: KeyFeed, filter: AuditFilter | undefined, wanted: number): AuditLog {
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const current = useRef<Loaded | undefined>(undefined);
  const busy = useRef(false);
  const key = filter === undefined ? undefined : JSON.stringify(filter);

  // A new filter starts over; feed changes bring the newest events in.
  useEffect(() => {
    current.current = undefined;
    setLoaded(undefined);
    setError(undefined);
    if (key === undefined) return undefined;
    const params = JSON.parse(key) as AuditFilter;
    let cancelled = false;
    const set = (next: Loaded) => {
      if (cancelled) return;
      current.current = next;
      setLoaded(next);
      setError(undefined);
    };
    const newest = async () => {
      try {
        const { events } = await client.audit({ ...params, limit: AUDIT_PAGE });
        const lines = events.map(auditLine);
        const have = current.current;
        const top = have?.lines[0]?.seq;
        // Merge when the page reaches what is loaded; a larger gap starts over from this page.
        const reaches = top !== undefined && (lines.length < AUDIT_PAGE || lines[lines.length - 1]!.seq <= top);
        if (have && reaches) set({ ...have, lines: [...lines.filter((l) => l.seq > top), ...have.lines] });
        else set({ lines, complete: lines.length < AUDIT_PAGE });
      } catch (err) {
        if (!cancelled) setError(errorText(err));
      }
    };
    void newest();
    const off = feed.onEvent((event) => {
      if (event.type !== 'usage') void newest();
    });
    return () => {
      cancelled = true;
      off();
    };
  }, [client, feed, key]);

  // Older pages, one at a time, while the view wants more than is loaded.
  const needMore = loaded !== undefined && !loaded.complete && loaded.lines.length < wanted;
  useEffect(() => {
    if (!needMore || busy.current || key === undefined) return;
    const have = current.current!;
    busy.current = true;
    void (async () => {
      try {
        const before = have.lines[have.lines.length - 1]?.seq;
        const { events } = await client.audit({ ...(JSON.parse(key) as AuditFilter), limit: AUDIT_PAGE, before });
        // A filter changed meanwhile: this page belongs to the old one.
        if (current.current !== have) return;
        const next = { lines: [...have.lines, ...events.map(auditLine)], complete: events.length < AUDIT_PAGE };
        current.current = next;
        setLoaded(next);
      } catch (err) {
        setError(errorText(err));
      } finally {
        busy.current = false;
      }
    })();
  }, [needMore, loaded, client, key]);

  return { lines: loaded?.lines, error, complete: loaded?.complete ?? false };
}
