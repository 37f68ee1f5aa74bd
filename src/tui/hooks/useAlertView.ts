/**
 * The alerts view (`!`): the alerts loaded while it is open and reloaded as alert events
 * arrive, its cursor, and acknowledging the alert under it, or every open one of its key. Each handler first checks the view
 * is still the current one.
 */
import { useMemo } from 'react';
import type { AlertJson, KeywardClient } from '../../client/client.js';
import { plural } from '../../thousands.js';
import type { KeyFeed } from '../feed.js';
import { writeRefusal, type Operator } from '../state/actions.js';
import type { FeedEvent } from '../state/collection.js';
import { moveCursor, resolveCursor } from '../state/cursor.js';
import { MOVES, type AlertCommand } from '../state/keymap.js';
import { helpOver, TABLE, type InMode, type Mode } from '../state/modes.js';
import { safeAlert } from '../state/safe.js';
import { useLive } from './useLive.js';
import type { ToastKind } from './useToast.js';

/** Alerts the view loads, the most recently seen first. */
const SHOWN = 1000;

export type AlertViewDeps = {
  readonly client: KeywardClient;
  readonly feed: KeyFeed;
  readonly operator: Operator;
  readonly mode: Mode;
  readonly setMode: (next: Mode | ((current: Mode) => Mode)) => void;
  readonly inMode: InMode;
  readonly show: (text: string, kind?: ToastKind) => void;
  readonly attempt: (call: () => Promise<void>) => Promise<void>;
};

function aboutAlerts(event: FeedEvent): boolean {
  return event.type === 'alert.raised' || event.type === 'alert.updated';
}

export type AlertView = ReturnType<typeof useAlertView>;

export function useAlertView({ client, feed, operator, mode, setMode, inMode, show, attempt }: AlertViewDeps) {
  const all = mode.kind === 'alerts' ? mode.all : undefined;
  const load = useMemo(
    () => (all === undefined ? undefined : () => client.alerts({ state: all ? 'all' : 'open', limit: SHOWN }).then((page) => page.alerts.map(safeAlert))),
    [client, all],
  );
  const live = useLive(load, feed, aboutAlerts);

  /** Why the operator may not acknowledge alerts (one, or all of a key's), or undefined. */
  const ackRefusal = () => writeRefusal(operator, 'acknowledge alerts');

  const acknowledge = (alert: AlertJson | undefined) => {
    if (!alert) return show('no alert selected', 'error');
    const refused = ackRefusal();
    if (refused) return show(refused, 'error');
    if (alert.state === 'acknowledged') return show(`Already acknowledged by ${alert.acknowledgedBy ?? 'someone'}`);
    void attempt(async () => {
      const { alert: acked } = await client.ackAlert(alert.id);
      feed.apply([{ type: 'alert.updated', alert: safeAlert(acked) }]);
      live.reload();
      show(`Acknowledged: ${alert.kind} on "${alert.keyName}"`, 'success');
    });
  };

  /**
   * Every open alert of `alert`'s key, after a question: a canary tripped by a hundred crawlers
   * is a hundred alerts, one a caller. Acknowledged one after another; one that fails stops the
   * rest (its error is shown; those before it stay acknowledged).
   */
  const acknowledgeKey = (alert: AlertJson | undefined, back: Mode) => {
    if (!alert) return show('no alert selected', 'error');
    const refused = ackRefusal();
    if (refused) return show(refused, 'error');
    const open = (live.data ?? []).filter((a) => a.keyId === alert.keyId && a.state === 'open');
    if (open.length === 0) return show(`No open alert on "${alert.keyName}"`);
    setMode({
      kind: 'confirm',
      back,
      question: {
        title: 'Acknowledge alerts',
        question: `Acknowledge ${plural(open.length, 'open alert')} on "${alert.keyName}"? They leave the header's count and the key's flags; they stay listed with t.`,
        danger: false,
        run: async () => {
          try {
            for (const a of open) {
              const { alert: acked } = await client.ackAlert(a.id);
              feed.apply([{ type: 'alert.updated', alert: safeAlert(acked) }]);
            }
          } finally {
            live.reload();
          }
          show(`Acknowledged ${plural(open.length, 'alert')} on "${alert.keyName}"`, 'success');
        },
      },
    });
  };

  /** `height`: the rows the list has on screen. */
  const onCommand = (command: AlertCommand, height: number) => {
    const m = inMode('alerts');
    if (!m) return;
    const ids = live.data ?? [];
    if (command === 'back') return setMode(TABLE);
    if (command === 'help') return setMode(helpOver(m));
    if (command === 'all') return setMode({ ...m, all: !m.all });
    const selected = ids[resolveCursor(ids, m.cursor, height).index];
    if (command === 'ack' || command === 'choose') return acknowledge(selected);
    if (command === 'ackKey') return acknowledgeKey(selected, m);
    setMode({ ...m, cursor: moveCursor(ids, m.cursor, MOVES[command]!, height) });
  };

  return { alerts: live.data, error: live.error, onCommand };
}
