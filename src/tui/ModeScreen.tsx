/**
 * The mode → screen switch: the one screen the current mode shows, given what it draws and the
 * handlers its keys call. Views that follow the daemon while open (usage, audit) load here; the
 * rotation and alerts views load in their own hooks.
 */
import { Box } from 'ink';
import { useMemo } from 'react';
import type { AlertJson, KeyJson, KeywardClient, RotationJson } from '../client/client.js';
import type { KeyFeed } from './feed.js';
import type { KeyActions } from './hooks/useKeyActions.js';
import type { KeyForms } from './hooks/useKeyForms.js';
import type { ViewKeys } from './hooks/useViewKeys.js';
import { useAuditLog } from './hooks/useAuditLog.js';
import { useLive } from './hooks/useLive.js';
import type { AlertView } from './hooks/useAlertView.js';
import type { RotationView } from './hooks/useRotationView.js';
import { AlertsScreen } from './screens/AlertsScreen.js';
import { AuditScreen } from './screens/AuditScreen.js';
import { PANEL_INSIDE, PANEL_ROWS } from './components/Panel.js';
import { DETAIL_ROWS } from './components/SelectedDetail.js';
import { ChoiceDialog } from './screens/ChoiceDialog.js';
import { ConfirmDialog } from './screens/ConfirmDialog.js';
import { DetailsScreen } from './screens/DetailsScreen.js';
import { HelpScreen } from './screens/HelpScreen.js';
import { KeyFormScreen } from './screens/KeyFormScreen.js';
import { MenuScreen } from './screens/MenuScreen.js';
import { RotationScreen } from './screens/RotationScreen.js';
import { SecretModal } from './screens/SecretModal.js';
import { TableScreen, type TableScreenProps } from './screens/TableScreen.js';
import { UsageScreen } from './screens/UsageScreen.js';
import { deactivationNote, menuItems, type Operator } from './state/actions.js';
import { filterLabel, filterNote, parseAuditFilter } from './state/audit.js';
import type { FeedEvent } from './state/collection.js';
import { resolveCursor } from './state/cursor.js';
import { helpLines } from './state/help.js';
import { withGoneNote } from './state/key-form.js';
import { ADD_KEYS, EDIT_KEYS, type Binding, type RotationCommand } from './state/keymap.js';
import type { Mode } from './state/modes.js';
import { currentRefusal } from './state/rotation.js';
import { safeKey, safeUsage } from './state/safe.js';
import { wrapWords } from './format.js';

export type ModeScreenProps = {
  readonly mode: Mode;
  readonly client: KeywardClient;
  readonly feed: KeyFeed;
  readonly operator: Operator;
  readonly keys: ReadonlyMap<string, KeyJson>;
  readonly byKey: ReadonlyMap<string, RotationJson>;
  /** Alerts not acknowledged yet, by id. */
  readonly openAlerts: ReadonlyMap<string, AlertJson>;
  /** The table as drawn in the table and filter modes. */
  readonly table: Omit<TableScreenProps, 'active' | 'onCommand'>;
  readonly width: number;
  /** Columns inside a modal's panel. */
  readonly modalWidth: number;
  readonly height: number;
  readonly now: number;
  readonly tmux: boolean;
  readonly actions: KeyActions & ViewKeys & KeyForms;
  readonly rotation: RotationView;
  readonly alerts: AlertView;
  readonly rotationBindings: readonly Binding<RotationCommand>[];
  /** An answer to a question starts something new: the toast of what came before goes. */
  readonly clearToast: () => void;
};


function followsUsage(keyId: string | undefined) {
  return (event: FeedEvent) => event.type === 'usage' && event.tick.keys.some((k) => k.id === keyId);
}

/** The key shown in the details changed, or was used (its quota and last use move). */
function followsKey(keyId: string | undefined) {
  return (event: FeedEvent) =>
    (event.type === 'usage' && event.tick.keys.some((k) => k.id === keyId)) || (event.type === 'key.updated' && event.key.id === keyId);
}

/** Rows a dialog over the rotation view takes: border and title, the question as wrapped, `extra` lines. */
function dialogRows(question: string, extra: number, width: number): number {
  return 3 + wrapWords(question, width).length + extra;
}

export function ModeScreen(props: ModeScreenProps) {
  const { mode, client, feed, operator, keys, byKey, openAlerts, table, width, modalWidth, height, now, tmux, actions, rotation, alerts, rotationBindings, clearToast } = props;
  const usageKeyId = mode.kind === 'usage' ? mode.keyId : undefined;
  const loadUsage = useMemo(() => (usageKeyId ? () => client.usage(usageKeyId).then(safeUsage) : undefined), [client, usageKeyId]);
  const usage = useLive(loadUsage, feed, followsUsage(usageKeyId));

  // The table's copy of a key is not told about every verification; the details load the
  // key itself, so quota left is what a verify would see now.
  const selected = table.rows[table.selected];
  const detailsKeyId = mode.kind === 'details' ? selected?.id : undefined;
  const loadKey = useMemo(() => (detailsKeyId ? () => client.getKey(detailsKeyId).then((r) => safeKey(r.key)) : undefined), [client, detailsKeyId]);
  const fresh = useLive(loadKey, feed, followsKey(detailsKeyId));

  const auditApplied = mode.kind === 'audit' ? mode.applied : undefined;
  const auditFilter = useMemo(() => (auditApplied === undefined ? undefined : parseAuditFilter(auditApplied)), [auditApplied]);
  const auditHeight = height - 4 - DETAIL_ROWS - (mode.kind === 'audit' && mode.editing ? 1 : 0);
  // The cursor and two screens beyond it loaded: scrolling on never waits at a page's end.
  const audit = useAuditLog(client, feed, auditFilter, mode.kind === 'audit' ? mode.cursor.cursorIndex + 2 * auditHeight : 0);

  switch (mode.kind) {
    case 'table':
    case 'filter':
      return <TableScreen {...table} active={mode.kind === 'table'} onCommand={actions.onTable} />;
    case 'help': {
      const lines = helpLines(mode.back.kind, mode.query, operator.permissions);
      const listHeight = height - PANEL_ROWS - (mode.searching || mode.query ? 1 : 0);
      return (
        <HelpScreen
          lines={lines}
          offset={mode.offset}
          height={listHeight}
          query={mode.query}
          searching={mode.searching}
          active
          onCommand={(command) => actions.onHelp(command, lines.length, listHeight)}
          onEdit={actions.onHelpEdit}
        />
      );
    }
    case 'add':
    case 'edit': {
      const editing = mode.kind === 'edit' ? mode : undefined;
      return (
        <KeyFormScreen
          title={editing ? `Edit "${editing.key.name}"` : 'Add a key'}
          form={editing?.gone ? withGoneNote(editing) : mode}
          bindings={editing ? EDIT_KEYS : ADD_KEYS}
          note="The secret is shown once, right after the key is created."
          busyText={editing ? 'Saving…' : 'Creating…'}
          width={modalWidth}
          height={height}
          active
          onCommand={editing ? actions.onEdit : actions.onAdd}
          onEdit={actions.onFormTyping}
        />
      );
    }
    case 'details': {
      const shown = fresh.data?.id === selected?.id ? fresh.data : selected;
      return <DetailsScreen keyJson={shown} openAlerts={openAlerts} error={fresh.error} width={width - PANEL_INSIDE} height={height} now={now} active onCommand={actions.onDetails} />;
    }
    case 'secret':
      return (
        <SecretModal
          keyName={mode.keyName}
          secret={mode.secret}
          copied={mode.copied}
          quitAsked={mode.quitAsked}
          tmux={tmux}
          width={modalWidth}
          height={height}
          active
          onCommand={actions.onSecret}
          onOther={actions.onSecretOther}
        />
      );
    case 'menu': {
      const key = keys.get(mode.keyId);
      if (!key) return null;
      const items = menuItems(key, byKey.get(key.id), operator);
      return (
        <MenuScreen keyName={key.name} note={deactivationNote(key)} items={items} index={mode.index} width={modalWidth} active onCommand={actions.onMenu} onShortcut={actions.onMenuShortcut} />
      );
    }
    case 'confirm':
      return (
        <ConfirmDialog title={mode.question.title} question={mode.question.question} danger={mode.question.danger} width={modalWidth} active onAnswer={actions.onConfirm} />
      );
    case 'usage': {
      const key = keys.get(mode.keyId);
      if (!key) return null;
      return <UsageScreen keyJson={key} usage={usage.data} error={usage.error} width={width} height={height} now={now} active onCommand={actions.onUsage} />;
    }
    case 'choose':
      return <ChoiceDialog choice={mode.choice} width={modalWidth} height={height} active onAnswer={actions.onChoose} />;
    case 'alerts': {
      const listHeight = height - 4 - DETAIL_ROWS;
      const position = resolveCursor(alerts.alerts ?? [], mode.cursor, listHeight);
      return (
        <AlertsScreen
          alerts={alerts.alerts}
          error={alerts.error}
          all={mode.all}
          index={position.index}
          offset={position.offset}
          height={listHeight}
          now={now}
          active
          onCommand={(command) => alerts.onCommand(command, listHeight)}
        />
      );
    }
    case 'audit': {
      const ids = audit.lines?.map((l) => ({ id: String(l.seq) })) ?? [];
      const position = resolveCursor(ids, mode.cursor, auditHeight);
      return (
        <AuditScreen
          lines={audit.lines}
          error={audit.error}
          complete={audit.complete}
          index={position.index}
          offset={position.offset}
          height={auditHeight}
          filter={mode.filter}
          applied={auditFilter ? [filterLabel(auditFilter), filterNote(auditApplied ?? '')].filter(Boolean).join(' · ') : ''}
          editing={mode.editing}
          active
          onCommand={(command) => actions.onAudit(command, ids, auditHeight)}
          onFilterCommand={actions.onAuditFilter}
          onEdit={actions.onAuditEdit}
        />
      );
    }
    case 'rotation': {
      const { question, choice } = mode;
      const shown = rotation.data?.id === mode.id ? rotation.data : undefined;
      const inside = width - PANEL_INSIDE;
      // A dialog over the view takes its rows first; the view below is clipped to what is left.
      const dialog = question ? dialogRows(question.question, question.also ? 3 : 2, inside) : choice ? dialogRows(choice.question, 2 + choice.options.length, inside) : 0;
      return (
        <Box flexDirection="column" height={height}>
          {question ? (
            <ConfirmDialog
              title={question.title}
              question={question.question}
              danger={question.danger}
              width={inside}
              active
              onAnswer={(yes) => {
                clearToast();
                rotation.answer(yes);
              }}
              also={question.also}
              onAlso={() => {
                clearToast();
                rotation.answer(true, true);
              }}
            />
          ) : null}
          {choice && !question ? <ChoiceDialog choice={choice} width={inside} height={height} active onAnswer={rotation.choose} /> : null}
          <Box flexDirection="column" flexShrink={1} overflow="hidden">
            <RotationScreen
              rotation={shown}
              error={rotation.error}
              refusal={shown && currentRefusal(shown, mode.refusal)}
              busy={mode.busy}
              bindings={rotationBindings}
              width={width}
              height={height - dialog}
              now={Math.max(now, rotation.now)}
              elapsedMs={rotation.elapsedMs}
              active={!question && !choice}
              onCommand={(command) => (command === 'help' ? actions.onRotationHelp() : rotation.onCommand(command))}
            />
          </Box>
        </Box>
      );
    }
  }
}
