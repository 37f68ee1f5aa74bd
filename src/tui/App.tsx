/**
 * The TUI's one stateful container: the live key collection, the table view, the current
 * mode and the calls to the daemon. Screens and components below it only draw what they are
 * given and report keys through their own `useInput`.
 */
import { Box, useApp } from 'ink';
import { useCallback, useEffect, useMemo, type ReactNode } from 'react';
import { ApiError, type KeyJson, type KeywardClient } from '../client/client.js';
import { osc52, type TerminalEnv } from './clipboard.js';
import { Header } from './components/Header.js';
import { Footer, Toast } from './components/StatusLines.js';
import type { FeedOptions } from './feed.js';
import { errorText } from './format.js';
import { useAuditLog } from './hooks/useAuditLog.js';
import { useKeyFeed } from './hooks/useKeyFeed.js';
import { useLive } from './hooks/useLive.js';
import { useNow } from './hooks/useNow.js';
import { useTerminalSize, type Size } from './hooks/useTerminalSize.js';
import { useRotationView } from './hooks/useRotationView.js';
import { useSyncState } from './hooks/useSyncState.js';
import { useToast } from './hooks/useToast.js';
import { AddScreen } from './screens/AddScreen.js';
import { AuditScreen, DETAIL_ROWS } from './screens/AuditScreen.js';
import { ChoiceDialog } from './screens/ChoiceDialog.js';
import { ConfirmDialog } from './screens/ConfirmDialog.js';
import { FilterBar } from './screens/FilterBar.js';
import { HelpScreen } from './screens/HelpScreen.js';
import { MenuScreen } from './screens/MenuScreen.js';
import { RotationScreen } from './screens/RotationScreen.js';
import { SecretModal } from './screens/SecretModal.js';
import { TableScreen } from './screens/TableScreen.js';
import { MIN_COLUMNS, MIN_ROWS, TooSmallScreen } from './screens/TooSmallScreen.js';
import { UsageScreen } from './screens/UsageScreen.js';
import { menuItems, refusal, type KeyAction, type MenuItem, type Operator } from './state/actions.js';
import { countAttention } from './state/attention.js';
import { rotationsByKey, type FeedEvent } from './state/collection.js';
import { layoutColumns } from './state/columns.js';
import { moveCursor, resolveCursor, START, type Move } from './state/cursor.js';
import {
  ADD_KEYS,
  AUDIT_FILTER_KEYS,
  AUDIT_KEYS,
  CHOICE_KEYS,
  BACK_KEYS,
  CONFIRM_KEYS,
  footerText,
  MENU_KEYS,
  type Binding,
  ROTATION_KEYS,
  SECRET_KEYS,
  TABLE_KEYS,
  type AuditCommand,
  type FieldCommand,
  type ListCommand,
  type TableCommand,
} from './state/keymap.js';
import { filterLabel, parseAuditFilter } from './state/audit.js';
import { TABLE, type Choice, type InMode, type Mode, type Question } from './state/modes.js';
import { deleteQuestion, RECENT_USE_MINUTES, rotateQuestion } from './state/questions.js';
import { currentRefusal, rotationCommands, WATCH_OPTIONS } from './state/rotation.js';
import { safeKey, safeRotation, safeUsage } from './state/safe.js';
import { deriveRows, focusKey, initialView, nextSort, sortLabel, withFilter, type TableView } from './state/table.js';
import { edit } from './state/text.js';

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
};

/** Header (2), toast (1), footer (1), and the terminal's last row left empty. */
const CHROME_ROWS = 5;
/** Dialogs stay readable on wide terminals. */
const MODALS = new Set<Mode['kind']>(['add', 'secret', 'menu', 'confirm', 'choose']);
const MODAL_COLUMNS = 96;

const MOVES: Partial<Record<TableCommand | ListCommand, Move>> = { down: 1, up: -1, top: 'top', bottom: 'bottom', pageDown: 'pageDown', pageUp: 'pageUp' };

/** Rows a dialog takes: its border and title, the question wrapped to the panel, `extra` lines below. */
function dialogRows(question: string, extra: number, columns: number): number {
  return 3 + Math.ceil([...question].length / Math.max(1, columns - 4)) + extra;
}

function followsUsage(keyId: string | undefined) {
  return (event: FeedEvent) => event.type === 'usage' && event.tick.keys.some((k) => k.id === keyId);
}

export function App({ client, operator, size: fixedSize, writeRaw = (data) => process.stdout.write(data), env = process.env, notice, feedOptions }: AppProps) {
  const { exit } = useApp();
  const size = useTerminalSize(fixedSize);
  const now = useNow();
  const { feed, snapshot } = useKeyFeed(client, feedOptions);
  const { toast, show } = useToast(notice ? { text: notice, kind: 'info' } : undefined);
  const [view, setView, currentView] = useSyncState<TableView>(initialView);
  const [mode, setMode, currentMode] = useSyncState<Mode>(TABLE);
  /** The mode right now if it is `kind`: a key meant for another screen is dropped. */
  const inMode: InMode = <K extends Mode['kind']>(kind: K) => {
    const m = currentMode();
    return m.kind === kind ? (m as Extract<Mode, { kind: K }>) : undefined;
  };

  const { keys } = snapshot.collection;
  const rows = useMemo(() => deriveRows(keys.values(), view.sort, view.filter), [keys, view.sort, view.filter]);
  const byKey = useMemo(() => rotationsByKey(snapshot.collection), [snapshot.collection]);
  const rotating = useMemo(() => new Set(byKey.keys()), [byKey]);
  const counts = useMemo(() => {
    let active = 0;
    for (const key of keys.values()) if (key.status === 'active') active++;
    return { active, inactive: keys.size - active, attention: countAttention(keys.values(), now) };
  }, [keys, now]);

  const bodyHeight = size.rows - CHROME_ROWS;
  const tableHeight = bodyHeight - 1;
  const columns = useMemo(() => layoutColumns(size.columns), [size.columns]);
  const cursor = resolveCursor(rows, view, tableHeight);
  const selected: KeyJson | undefined = rows[cursor.index];
  // Remember where the cursor resolved to, so it stays in place when its key disappears.
  useEffect(() => {
    if (selected && (view.cursorId !== selected.id || view.cursorIndex !== cursor.index || view.offset !== cursor.offset)) {
      setView((v) => ({ ...v, cursorId: selected.id, cursorIndex: cursor.index, offset: cursor.offset }));
    }
  }, [selected, cursor.index, cursor.offset, view.cursorId, view.cursorIndex, view.offset, setView]);
  /** The key under the cursor now, also between a keypress and its redraw. */
  const selectedNow = (): KeyJson | undefined => rows[resolveCursor(rows, currentView(), tableHeight).index];

  // Views that follow the daemon while they are open.
  const usageKeyId = mode.kind === 'usage' ? mode.keyId : undefined;
  const loadUsage = useMemo(() => (usageKeyId ? () => client.usage(usageKeyId).then(safeUsage) : undefined), [client, usageKeyId]);
  const usage = useLive(loadUsage, feed, followsUsage(usageKeyId));

  const auditListHeight = bodyHeight - 4 - DETAIL_ROWS - (mode.kind === 'audit' && mode.editing ? 1 : 0);
  const auditFilter = useMemo(() => (mode.kind === 'audit' ? parseAuditFilter(mode.applied) : undefined), [mode]);
  // The cursor and two screens beyond it loaded: scrolling on never waits at a page's end.
  const audit = useAuditLog(client, feed, auditFilter, mode.kind === 'audit' ? mode.cursor.cursorIndex + 2 * auditListHeight : 0);

  // A key deleted (by anyone) while its menu or usage is open closes that view.
  const viewedKeyId = mode.kind === 'menu' || mode.kind === 'usage' ? mode.keyId : undefined;
  const viewedKeyGone = snapshot.loaded && viewedKeyId !== undefined && !keys.has(viewedKeyId);
  useEffect(() => {
    if (!viewedKeyGone) return;
    setMode(TABLE);
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

  const rotation = useRotationView({ client, feed, mode, setMode, inMode, show, attempt });
  const ask = (question: Question) => setMode({ kind: 'confirm', question, back: TABLE });
  const copy = (text: string) => writeRaw(osc52(text, env));
  const rotationMode = (id: string): Mode => ({ kind: 'rotation', id, refusal: undefined, busy: false, question: undefined });

  const toggle = (key: KeyJson) => {
    if (key.status === 'inactive') {
      void attempt(async () => {
        const { key: updated } = await client.activateKey(key.id);
        feed.apply([{ type: 'key.updated', key: safeKey(updated) }]);
        show(`Activated "${key.name}": it verifies again`, 'success');
      });
      return;
    }
    ask({
      title: 'Deactivate key',
      question: `Deactivate "${key.name}"? Every verification of it fails from now on, until you activate it again.`,
      danger: true,
      run: async () => {
        const { key: updated } = await client.deactivateKey(key.id);
        feed.apply([{ type: 'key.updated', key: safeKey(updated) }]);
        show(`Deactivated "${key.name}"`, 'success');
      },
    });
  };

  // The question says whether something still presented the key in the last hour.
  const remove = (key: KeyJson) =>
    void attempt(async () => {
      const recent = await client.usage(key.id, RECENT_USE_MINUTES).then(safeUsage, () => undefined);
      askDelete(key, deleteQuestion(key, recent, Date.now()));
    });

  const askDelete = (key: KeyJson, question: string) =>
    ask({
      title: 'Delete key',
      question,
      danger: true,
      run: async () => {
        await client.deleteKey(key.id);
        feed.apply([{ type: 'key.deleted', id: key.id }]);
        show(`Deleted "${key.name}"`, 'success');
      },
    });

  const rotate = (key: KeyJson) => {
    const open = byKey.get(key.id);
    if (open) return setMode(rotationMode(open.id));
    const choice: Choice = {
      title: 'Rotate key',
      question: rotateQuestion(key),
      options: WATCH_OPTIONS.map((o) => o.label),
      index: 0,
      run: async (index) => {
        const started = await client.startRotation(key.id, { watchSeconds: WATCH_OPTIONS[index]!.value });
        const fresh = safeRotation(started.rotation);
        feed.apply([{ type: 'rotation.created', rotation: fresh }]);
        setMode({ kind: 'secret', keyName: fresh.newKeyName, secret: started.secret, copied: false, then: rotationMode(fresh.id) });
      },
    };
    setMode({ kind: 'choose', choice, back: TABLE });
  };

  const perform = (action: KeyAction, key: KeyJson | undefined) => {
    const refused = refusal(action, key, operator);
    if (refused || !key) return show(refused ?? 'no key selected', 'error');
    switch (action) {
      case 'toggle':
        return toggle(key);
      case 'delete':
        return remove(key);
      case 'rotate':
        return rotate(key);
      case 'usage':
        return setMode({ kind: 'usage', keyId: key.id });
      case 'copyId':
        copy(key.id);
        return show(`Sent the id ${key.id} to the clipboard`, 'success');
    }
  };

  const onTable = (command: TableCommand) => {
    if (!inMode('table')) return;
    const move = MOVES[command];
    if (move !== undefined) return setView((v) => moveCursor(rows, v, move, tableHeight));
    const key = selectedNow();
    switch (command) {
      case 'filter':
        return setMode({ kind: 'filter' });
      case 'clearFilter':
        return setView((v) => (v.filter ? withFilter(v, '') : v));
      case 'sort':
        return setView(nextSort);
      case 'add': {
        const refused = refusal('add', undefined, operator);
        return refused ? show(refused, 'error') : setMode({ kind: 'add', name: '', issues: [], busy: false });
      }
      case 'menu':
        return key ? setMode({ kind: 'menu', keyId: key.id, index: 0 }) : show('no key selected', 'error');
      case 'toggle':
      case 'delete':
      case 'rotate':
      case 'usage':
        return perform(command, key);
      case 'audit':
        return setMode({ kind: 'audit', cursor: START, filter: '', applied: '', editing: false });
      case 'help':
        return setMode({ kind: 'help' });
      case 'quit':
        return exit();
    }
  };

  const onFilter = (command: FieldCommand) => {
    if (!inMode('filter')) return;
    if (command === 'cancel') setView((v) => withFilter(v, ''));
    setMode(TABLE);
  };

  const onAdd = (command: FieldCommand) => {
    const m = inMode('add');
    if (!m || m.busy) return;
    if (command === 'cancel') return setMode(TABLE);
    setMode({ ...m, busy: true });
    void (async () => {
      try {
        const created = await client.createKey(m.name);
        const key = safeKey(created.key);
        feed.apply([{ type: 'key.created', key }]);
        setView((v) => focusKey(v, key.id));
        setMode({ kind: 'secret', keyName: key.name, secret: created.secret, copied: false, then: TABLE });
      } catch (err) {
        // Validation names each problem; any other refusal (name_taken) says it best in its message.
        const invalid = err instanceof ApiError && err.code === 'invalid_request' && err.issues.length > 0;
        const issues = invalid ? err.issues.map((i) => errorText(new Error(`${i.path} ${i.message}`))) : [errorText(err)];
        setMode({ ...m, issues, busy: false });
      }
    })();
  };

  const onMenu = (command: ListCommand) => {
    const m = inMode('menu');
    const key = m && keys.get(m.keyId);
    if (!m || !key) return;
    const items = menuItems(key, byKey.get(key.id), operator);
    if (command === 'back') return setMode(TABLE);
    if (command === 'choose') return choose(items[m.index]!, key);
    const step = command === 'down' ? 1 : command === 'up' ? -1 : 0;
    setMode({ ...m, index: (m.index + step + items.length) % items.length });
  };

  const choose = (item: MenuItem, key: KeyJson) => {
    if (item.disabled) return show(`${item.label}: ${item.disabled}`, 'error');
    setMode(TABLE);
    perform(item.action, key);
  };

  const onAudit = (command: AuditCommand, ids: readonly { id: string }[], height: number) => {
    const m = inMode('audit');
    if (!m) return;
    if (command === 'back' || command === 'choose') return setMode(TABLE);
    if (command === 'filter') return setMode({ ...m, editing: true });
    setMode({ ...m, cursor: moveCursor(ids, m.cursor, MOVES[command]!, height) });
  };

  /** ⏎ applies the typed filter; esc clears it. Either starts again from the newest event. */
  const onAuditFilter = (command: FieldCommand) => {
    const m = inMode('audit');
    if (!m) return;
    const filter = command === 'cancel' ? '' : m.filter;
    setMode({ ...m, filter, applied: filter, editing: false, cursor: START });
  };

  const onChoose = (answer: { readonly choose: number } | { readonly mark: number } | 'cancel') => {
    const m = inMode('choose');
    if (!m) return;
    if (answer === 'cancel') return setMode(m.back);
    if ('mark' in answer) return setMode({ ...m, choice: { ...m.choice, index: answer.mark } });
    setMode(m.back);
    void attempt(() => m.choice.run(answer.choose));
  };

  const answer = (yes: boolean) => {
    const m = inMode('confirm');
    if (!m) return;
    setMode(m.back);
    if (yes) void attempt(m.question.run);
  };

  if (size.columns < MIN_COLUMNS || size.rows < MIN_ROWS) {
    return (
      <Box height={Math.max(1, size.rows - 1)} width={size.columns}>
        <TooSmallScreen columns={size.columns} rows={size.rows} onQuit={exit} />
      </Box>
    );
  }

  const permissions = operator.permissions;
  let body: ReactNode = null;
  let footerKeys: readonly Binding<string>[] = [];
  switch (mode.kind) {
    case 'table':
    case 'filter': {
      const empty = !snapshot.loaded
        ? snapshot.problem ?? 'Loading keys…'
        : view.filter
          ? `No key matches "${view.filter}"; esc clears the filter`
          : permissions.includes('keys:write')
            ? 'No keys yet: press a to add one'
            : 'No keys yet';
      body = (
        <TableScreen
          active={mode.kind === 'table'}
          onCommand={onTable}
          rows={rows.slice(cursor.offset, cursor.offset + tableHeight)}
          selected={cursor.index - cursor.offset}
          columns={columns}
          rotating={rotating}
          now={now}
          empty={empty}
        />
      );
      footerKeys = TABLE_KEYS;
      break;
    }
    case 'help':
      body = <HelpScreen active onBack={() => inMode('help') && setMode(TABLE)} columns={size.columns} />;
      footerKeys = BACK_KEYS;
      break;
    case 'add':
      body = (
        <AddScreen
          name={mode.name}
          issues={mode.issues}
          busy={mode.busy}
          active
          onEdit={(name, input) => setMode((m) => (m.kind === 'add' && !m.busy ? { ...m, name: edit(m.name, name, input), issues: [] } : m))}
          onCommand={onAdd}
        />
      );
      footerKeys = ADD_KEYS;
      break;
    case 'secret':
      body = (
        <SecretModal
          keyName={mode.keyName}
          secret={mode.secret}
          copied={mode.copied}
          tmux={Boolean(env.TMUX)}
          active
          onCommand={(command) => {
            const m = inMode('secret');
            if (!m) return;
            if (command === 'stored') return setMode(m.then);
            copy(m.secret);
            setMode({ ...m, copied: true });
          }}
          onOther={() => show('The secret is shown only now: press y once you have stored it (c copies it)')}
        />
      );
      footerKeys = SECRET_KEYS;
      break;
    case 'menu': {
      const key = keys.get(mode.keyId);
      if (!key) break;
      const items = menuItems(key, byKey.get(key.id), operator);
      body = <MenuScreen keyName={key.name} items={items} index={mode.index} active onCommand={onMenu} onShortcut={(item) => inMode('menu') && choose(item, key)} />;
      footerKeys = MENU_KEYS;
      break;
    }
    case 'confirm':
      body = <ConfirmDialog title={mode.question.title} question={mode.question.question} danger={mode.question.danger} active onAnswer={answer} />;
      footerKeys = CONFIRM_KEYS;
      break;
    case 'choose':
      body = <ChoiceDialog choice={mode.choice} active onAnswer={onChoose} />;
      footerKeys = CHOICE_KEYS;
      break;
    case 'usage': {
      const key = keys.get(mode.keyId);
      if (!key) break;
      body = (
        <UsageScreen keyJson={key} usage={usage.data} error={usage.error} width={size.columns} height={bodyHeight} now={now} active onBack={() => inMode('usage') && setMode(TABLE)} />
      );
      footerKeys = BACK_KEYS;
      break;
    }
    case 'audit': {
      const ids = audit.lines?.map((l) => ({ id: String(l.seq) })) ?? [];
      const position = resolveCursor(ids, mode.cursor, auditListHeight);
      body = (
        <AuditScreen
          lines={audit.lines}
          error={audit.error}
          complete={audit.complete}
          index={position.index}
          offset={position.offset}
          height={auditListHeight}
          filter={mode.filter}
          applied={filterLabel(parseAuditFilter(mode.applied))}
          editing={mode.editing}
          active
          onCommand={(command) => onAudit(command, ids, auditListHeight)}
          onFilterCommand={onAuditFilter}
          onEdit={(name, input) => setMode((m) => (m.kind === 'audit' && m.editing ? { ...m, filter: edit(m.filter, name, input) } : m))}
        />
      );
      footerKeys = mode.editing ? AUDIT_FILTER_KEYS : AUDIT_KEYS;
      break;
    }
    case 'rotation': {
      const question = mode.question;
      const shown = rotation.data?.id === mode.id ? rotation.data : undefined;
      const bindings = ROTATION_KEYS.filter((b) => rotationCommands(shown).includes(b.command));
      // A dialog over the view takes its rows first; the view below is clipped to what is left.
      const dialog = question ? dialogRows(question.question, 2, size.columns) : mode.choice ? dialogRows(mode.choice.question, 2 + mode.choice.options.length, size.columns) : 0;
      body = (
        <Box flexDirection="column" height={bodyHeight}>
          {question ? <ConfirmDialog title={question.title} question={question.question} danger={question.danger} active onAnswer={rotation.answer} /> : null}
          {mode.choice ? <ChoiceDialog choice={mode.choice} active={!question} onAnswer={rotation.choose} /> : null}
          <Box flexDirection="column" flexShrink={1} overflow="hidden">
            <RotationScreen
              rotation={shown}
              error={rotation.error}
              refusal={shown && currentRefusal(shown, mode.refusal)}
              busy={mode.busy}
              bindings={bindings}
              width={size.columns}
              height={bodyHeight - dialog}
              now={now}
              elapsedMs={rotation.elapsedMs}
              active={!question && !mode.choice}
              onCommand={rotation.onCommand}
            />
          </Box>
        </Box>
      );
      footerKeys = question ? CONFIRM_KEYS : mode.choice ? CHOICE_KEYS : bindings;
      break;
    }
  }

  return (
    <Box flexDirection="column" width={size.columns} height={size.rows - 1}>
      <Header
        url={client.url}
        operator={operator.name}
        role={operator.role}
        link={snapshot.link}
        problem={snapshot.problem}
        active={counts.active}
        inactive={counts.inactive}
        attention={counts.attention}
        rotating={snapshot.collection.rotations.size}
        sort={sortLabel(view.sort)}
        filter={view.filter}
        shown={rows.length}
      />
      {/* The table is cut to fit already; clipping costs Ink a slice of every line, so only other views are clipped. */}
      <Box
        flexDirection="column"
        flexGrow={1}
        overflow={mode.kind === 'table' || mode.kind === 'filter' ? 'visible' : 'hidden'}
        width={MODALS.has(mode.kind) ? Math.min(size.columns, MODAL_COLUMNS) : size.columns}
      >
        {body}
      </Box>
      <Toast toast={toast} />
      {mode.kind === 'filter' ? (
        <FilterBar value={view.filter} onEdit={(name, input) => inMode('filter') && setView((v) => withFilter(v, edit(v.filter, name, input)))} onCommand={onFilter} />
      ) : (
        <Footer text={footerText(footerKeys, permissions, size.columns)} />
      )}
    </Box>
  );
}
