/**
 * `!`: the alerts, the most recently seen first; open ones marked red, acknowledged ones dim;
 * the one under the cursor in full below them.
 */
import { Text } from 'ink';
import { addressText, kindText } from '../../alert-text.js';
import type { AlertJson } from '../../client/client.js';
import { Cell } from '../components/Cell.js';
import { Panel } from '../components/Panel.js';
import { SelectedDetail } from '../components/SelectedDetail.js';
import { ago } from '../../duration.js';
import { useBindings } from '../hooks/useBindings.js';
import { alertSummary, detailText } from '../state/alerts.js';
import { ALERT_KEYS, type AlertCommand } from '../state/keymap.js';

export type AlertsScreenProps = {
  readonly alerts: readonly AlertJson[] | undefined;
  readonly error: string | undefined;
  /** Acknowledged ones too. */
  readonly all: boolean;
  /** Index of the cursor in `alerts`, the first one shown, and how many are (`DETAIL_ROWS` go below them). */
  readonly index: number;
  readonly offset: number;
  readonly height: number;
  readonly now: number;
  readonly active: boolean;
  readonly onCommand: (command: AlertCommand) => void;
};

type RowProps = {
  readonly marker: string;
  readonly state: string;
  readonly kind: string;
  readonly keyName: string;
  readonly caller: string;
  readonly count: string;
  readonly seen: string;
  readonly detail: string;
  readonly open?: boolean;
  readonly bold?: boolean;
  readonly dim?: boolean;
};

/** The columns before DETAIL fill 76 cells, what an 80-column terminal leaves inside the panel: SEEN is never cut there. */
function AlertRow({ marker, state, kind, keyName, caller, count, seen, detail, open, bold, dim }: RowProps) {
  return (
    <Text wrap="truncate-end">
      <Text color="cyan" bold>
        {marker}
      </Text>
      <Cell width={2} color={open ? 'red' : undefined} bold>
        {state}
      </Cell>
      <Cell width={17} bold={bold} dim={dim}>
        {kind}
      </Cell>
      <Cell width={17} bold={bold} dim={dim}>
        {keyName}
      </Cell>
      <Cell width={16} dim={dim}>
        {caller}
      </Cell>
      <Cell width={7} align="right" dim={dim}>
        {count}
      </Cell>
      <Cell width={9} dim={dim}>
        {seen}
      </Cell>
      <Text dimColor>{detail}</Text>
    </Text>
  );
}

export function AlertsScreen({ alerts, error, all, index, offset, height, now, active, onCommand }: AlertsScreenProps) {
  useBindings(ALERT_KEYS, onCommand, active);
  const open = alerts?.filter((a) => a.state === 'open').length;
  const selected = alerts?.[index];
  // Not loaded yet (or the daemon did not answer): no count rather than a "0 open" that is not known.
  return (
    <Panel title={`Alerts${open === undefined ? '' : ` · ${open} open`}${all ? ' · acknowledged ones too' : ''}`}>
      {error ? <Text color="red">{error}</Text> : null}
      <AlertRow marker="  " state="" kind="KIND" keyName="KEY" caller="CALLER" count="COUNT" seen="SEEN" detail="DETAIL" dim />
      {alerts === undefined && !error ? <Text dimColor>Loading…</Text> : null}
      {alerts?.length === 0 ? <Text dimColor>{all ? 'No alerts.' : 'No open alerts.'}</Text> : null}
      {alerts?.slice(offset, offset + height).map((alert, i) => (
        <AlertRow
          key={alert.id}
          marker={offset + i === index ? '› ' : '  '}
          state={alert.state === 'open' ? '●' : '✓'}
          open={alert.state === 'open'}
          kind={kindText(alert)}
          keyName={alert.keyName}
          caller={alert.caller ?? '—'}
          count={String(alert.count)}
          seen={ago(alert.lastSeenAt, now)}
          detail={[addressText(alert), detailText(alert)].filter(Boolean).join(' · ')}
          bold={offset + i === index}
          dim={alert.state !== 'open'}
        />
      ))}
      {selected ? <SelectedDetail text={alertSummary(selected)} /> : null}
    </Panel>
  );
}
