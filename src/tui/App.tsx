/**
 * The TUI's one stateful container: the live key collection, the table view and the current
 * mode. The rows and the cursor over them are `useKeyRows`; what keys do is in `useKeyActions`
 * (and `useRotationView`); which screen a mode shows is `ModeScreen`; screens and components
 * below only draw what they are given and report keys through `useBindings` (hooks/keyboard.ts).
 */
import { Box, useApp } from 'ink';
import { useCallback, useEffect, useMemo } from 'react';
import type { KeywardClient } from '../client/client.js';
import { osc52, type TerminalEnv } from './clipboard.js';
import { Header } from './components/Header.js';
import { Refusal, refusalLines } from './components/Refusal.js';
import { Footer, Toast, toastLines } from './components/StatusLines.js';
import type { FeedOptions } from './feed.js';
import { errorText } from './format.js';
import { GlobalKeysContext } from './hooks/globalKeys.js';
import { KeyboardContext, useKeyboard } from './hooks/keyboard.js';
import { useGlobalKeys, type ShownSecret } from './hooks/useGlobalKeys.js';
import { useAlertView } from './hooks/useAlertView.js';
import { useKeyActions } from './hooks/useKeyActions.js';
import { useKeyFeed } from './hooks/useKeyFeed.js';
import { useKeyRows } from './hooks/useKeyRows.js';
import { useKeyForms } from './hooks/useKeyForms.js';
import { useNow } from './hooks/useNow.js';
import { useRotationView } from './hooks/useRotationView.js';
import { useSyncState } from './hooks/useSyncState.js';
import { useTerminalSize, type Size } from './hooks/useTerminalSize.js';
import { useToast } from './hooks/useToast.js';
import { useViewKeys } from './hooks/useViewKeys.js';
import { PANEL_INSIDE } from './components/Panel.js';
import { ModeScreen } from './ModeScreen.js';
import { FilterBar } from './screens/FilterBar.js';
import { MIN_COLUMNS, MIN_ROWS, TooSmallScreen } from './screens/TooSmallScreen.js';
import type { Operator } from './state/actions.js';
import { alertFlags, countKeys, refreshMs } from './state/attention.js';
import { rotationsByKey } from './state/collection.js';
import { layoutColumns } from './state/columns.js';
import { footerText } from './state/keymap.js';
import { TABLE, type InMode, type Mode } from './state/modes.js';
import { modeBindings, rotationBindings } from './state/screens.js';
import { emptyText, initialView, sortShown, type TableView } from './state/table.js';

export type { ShownSecret };

export type AppProps = {
  readonly client: KeywardClient;
  readonly operator: Operator;
  /** A fixed terminal size; by default the real one, following resizes. */
  readonly size?: Size;
  /** Where OSC 52 clipboard sequences go; by default the terminal. */
  readonly writeRaw?: (data: string) => void;
  readonly env?: TerminalEnv;
  /** A first status line, e.g. that a daemon was started. */
  readonly notice?: string;
  readonly feedOptions?: FeedOptions;
  /** Ctrl-L: repaints the whole terminal (the session's screen writer). */
  readonly redraw?: () => void;
  /** Told whenever a secret appears or is closed, so whoever ends the TUI can say one was lost. */
  readonly onSecret?: (shown: ShownSecret) => void;
  /** `R`: starts the daemon again; given only when this TUI started it. Resolves with what to say. */
  readonly restartDaemon?: () => Promise<string>;
};

/** Header (2), toast (1; more while a long one shows), footer (1), and the terminal's last row left empty. */
const CHROME_ROWS = 5;
/** Dialogs stay readable on wide terminals. */
const MODALS = new Set<Mode['kind']>(['add', 'edit', 'secret', 'menu', 'confirm', 'choose']);
const MODAL_COLUMNS = 96;
/** Over a window the TUI sees only the keys around its cursor, so it counts no attention (the rows still show their flags). */
const NO_ATTENTION = { leaked: 0, tripped: 0, expired: 0, expiring: 0, unused: 0 } as const;

export function App({ client, operator, size: fixedSize, writeRaw = (data) => process.stdout.write(data), env = process.env, notice, feedOptions, redraw, onSecret, restartDaemon }: AppProps) {
  const { exit } = useApp();

  const size = useTerminalSize(fixedSize);
  const { feed, snapshot } = useKeyFeed(client, feedOptions);
  const { keys } = snapshot.collection;
  const now = useNow(useCallback((at: number) => refreshMs(keys.values(), at), [keys]));
  const { toast, show, clear } = useToast(notice ? { text: notice, kind: 'info' } : undefined);
  const [view, setView, currentView] = useSyncState<TableView>(initialView);
  const [mode, setMode, currentMode] = useSyncState<Mode>(TABLE);
  const keyboard = useKeyboard(currentMode);
  /** The mode right now if it is `kind`: a key meant for another screen is dropped. */
  const inMode: InMode = <K extends Mode['kind']>(kind: K) => {
    const m = currentMode();
    return m.kind === kind ? (m as Extract<Mode, { kind: K }>) : undefined;
  };

  // Once the daemon refuses the operator, nothing it asks is answered: every action and view
  // sees an operator without permissions, so the footer offers only what works on the rows
  // held and a write says at once why it cannot be done. A daemon without its store, or one
  // gone until it is back: the operator keeps its keys, and a change says at once why it would
  // fail (a question first would only lead to the failure in a toast).
  const refused = snapshot.link === 'refused';
  const unreachable = snapshot.link === 'degraded' ? 'store' : snapshot.link === 'reconnecting' ? 'daemon' : undefined;
  const actor = useMemo<Operator>(() => (refused ? { ...operator, permissions: [], refused } : unreachable ? { ...operator, unreachable } : operator), [operator, refused, unreachable]);

  const byKey = useMemo(() => rotationsByKey(snapshot.collection), [snapshot.collection]);
  const rotating = useMemo(() => new Set(byKey.keys()), [byKey]);
  const flags = useMemo(() => alertFlags(snapshot.collection.alerts.values()), [snapshot.collection.alerts]);
  const counts = useMemo(() => countKeys(keys, now, flags), [keys, now, flags]);

  const refusal = refused && snapshot.problem ? refusalLines(snapshot.problem, size.columns) : [];
  const shownToast = toastLines(toast, size.columns);
  const bodyHeight = size.rows - CHROME_ROWS - refusal.length - (shownToast.length - 1);
  const tableHeight = bodyHeight - 1;
  const columns = useMemo(() => layoutColumns(size.columns), [size.columns]);
  const { window, totals } = snapshot;
  const { rows, cursor, selectedNow, moveTo, needsDaemon } = useKeyRows({ feed, snapshot, view, setView, currentView, height: tableHeight });

  // A key deleted (by anyone) while its menu, usage or edit form is open closes that view.
  const viewedKeyId = mode.kind === 'menu' || mode.kind === 'usage' ? mode.keyId : mode.kind === 'edit' ? mode.key.id : undefined;
  const viewedKeyGone = snapshot.loaded && viewedKeyId !== undefined && !keys.has(viewedKeyId);
  // An edit form stays, saying so: closed under the admin's fingers, the rest of what they type
  // would land on the table as commands (x, y: deactivate the key under the cursor).
  useEffect(() => {
    if (!viewedKeyGone) return;
    setMode((m) => (m.kind === 'edit' ? { ...m, gone: true, busy: false } : TABLE));
    show('That key was deleted', 'error');
  }, [viewedKeyGone, setMode, show]);

  /** Runs a daemon call; a failure becomes a toast, never a crash. */
  const attempt = useCallback(
    async (call: () => Promise<void>) => {
      try {
        await call();
      } catch (err) {
        show(errorText(err), 'error');
      }
    },
    [show],
  );

  const actions = {
    ...useKeyActions({ client, operator: actor, feed, keys, byKey, moveTo, needsDaemon, selectedNow, setView, setMode, inMode, show, clearToast: clear, attempt, exit, restartDaemon,
      copy: (text) => writeRaw(osc52(text, env)),
    }),
    ...useViewKeys({ setMode, inMode }),
    ...useKeyForms({ client, feed, setView, setMode, inMode, show }),
  };
  const rotation = useRotationView({ client, operator: actor, feed, mode, setMode, inMode, show, attempt, restart: actions.restart });
  const alerts = useAlertView({ client, feed, operator: actor, mode, setMode, inMode, show, attempt });
  const shownRotation = mode.kind === 'rotation' && rotation.data?.id === mode.id ? rotation.data : undefined;
  const globalKeys = useGlobalKeys({ mode, currentMode, setMode, exit, redraw, onSecret });

  const sort = sortShown(view);
  const modalColumns = Math.min(size.columns, MODAL_COLUMNS);
  const table = {
    rows: rows.slice(cursor.offset, cursor.offset + tableHeight),
    selected: cursor.index - cursor.offset,
    empty: emptyText(view, snapshot.loaded, snapshot.problem, actor.permissions.includes('keys:write')),
    stale: snapshot.link !== 'live' && snapshot.staleSince !== undefined,
    width: size.columns,
    columns,
    rotating,
    flags,
    now,
    sort,
  };
  return (
    <KeyboardContext.Provider value={keyboard}>
      <GlobalKeysContext.Provider value={globalKeys}>
        {size.columns < MIN_COLUMNS || size.rows < MIN_ROWS ? (
          <Box height={Math.max(1, size.rows - 1)} width={size.columns}>
            <TooSmallScreen columns={size.columns} rows={size.rows} secret={mode.kind === 'secret' ? mode : undefined} onQuit={exit} />
          </Box>
        ) : (
          <Box flexDirection="column" width={size.columns} height={size.rows - 1}>
            <Header url={client.url} operator={operator.name} role={operator.role} link={snapshot.link} problem={snapshot.problem} staleSince={snapshot.staleSince} loaded={snapshot.loaded}
              active={totals?.active ?? counts.active} inactive={totals?.inactive ?? counts.inactive} attention={window ? NO_ATTENTION : counts.attention} rotating={snapshot.collection.rotations.size} alerts={snapshot.collection.alerts.size}
              canRestart={restartDaemon !== undefined} sort={`${sort.label} ${sort.arrow}`} filter={view.filter} shown={window ? window.matched.total : rows.length} width={size.columns}
            />
            {refusal.length > 0 ? <Refusal lines={refusal} /> : null}
            {/* The table is cut to fit already; clipping costs Ink a slice of every line, so only other views are clipped. */}
            <Box flexDirection="column" flexGrow={1} overflow={mode.kind === 'table' || mode.kind === 'filter' ? 'visible' : 'hidden'} width={MODALS.has(mode.kind) ? modalColumns : size.columns}>
              <ModeScreen mode={mode} client={client} feed={feed} operator={actor} keys={keys} byKey={byKey} openAlerts={snapshot.collection.alerts} table={table} now={now} actions={actions} rotation={rotation} alerts={alerts}
                width={size.columns} modalWidth={modalColumns - PANEL_INSIDE} height={bodyHeight} tmux={Boolean(env.TMUX)}
                rotationBindings={rotationBindings(shownRotation)} clearToast={clear}
              />
            </Box>
            <Toast toast={toast} lines={shownToast} />
            {mode.kind === 'filter' ? (
              <FilterBar value={view.filter} onEdit={actions.onFilterEdit} onCommand={actions.onFilter} />
            ) : (
              <Footer text={footerText(modeBindings(mode, shownRotation, window !== undefined), actor.permissions, size.columns)} />
            )}
          </Box>
        )}
      </GlobalKeysContext.Provider>
    </KeyboardContext.Provider>
  );
}
