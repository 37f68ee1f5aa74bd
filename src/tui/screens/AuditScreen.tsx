/** `A`: the audit log, newest first, scrollable without end, filtered with `/`. */
import { Text } from 'ink';
import { Cell } from '../components/Cell.js';
import { Panel } from '../components/Panel.js';
import { SelectedDetail } from '../components/SelectedDetail.js';
import { TextField } from '../components/TextField.js';
import { stamp } from '../format.js';
import { useBindings } from '../hooks/useBindings.js';
import { AUDIT_FILTER_KEYS, AUDIT_KEYS, type AuditCommand, type FieldCommand } from '../state/keymap.js';
import type { AuditLine } from '../state/safe.js';


export type AuditScreenProps = {
  readonly lines: readonly AuditLine[] | undefined;
  readonly error: string | undefined;
  /** True once the oldest matching event is loaded. */
  readonly complete: boolean;
  /** Index of the cursor in `lines`, the first line shown, and how many are (`DETAIL_ROWS` go below them). */
  readonly index: number;
  readonly offset: number;
  readonly height: number;
  /** The filter as typed, what it applies (empty: none), and whether it is being typed. */
  readonly filter: string;
  readonly applied: string;
  readonly editing: boolean;
  readonly active: boolean;
  readonly onCommand: (command: AuditCommand) => void;
  readonly onFilterCommand: (command: FieldCommand) => void;
  /** A key typed into the filter (see `edit`). */
  readonly onEdit: (name: string, input: string) => void;
};

type AuditRowProps = {
  readonly marker: string;
  readonly time: string;
  readonly operator: string;
  readonly action: string;
  readonly target: string;
  readonly detail: string;
  readonly bold?: boolean;
  readonly dim?: boolean;
};

function AuditRow({ marker, time, operator, action, target, detail, bold, dim }: AuditRowProps) {
  return (
    <Text wrap="truncate-end">
      <Text color="cyan" bold>
        {marker}
      </Text>
      <Cell width={20} bold={bold} dim={dim}>
        {time}
      </Cell>
      <Cell width={12} bold={bold} dim={dim}>
        {operator}
      </Cell>
      <Cell width={19} bold={bold} dim={dim}>
        {action}
      </Cell>
      <Cell width={20} bold={bold} dim={dim}>
        {target}
      </Cell>
      <Text dimColor>{detail}</Text>
    </Text>
  );
}

export function AuditScreen(props: AuditScreenProps) {
  const { lines, error, complete, index, offset, height, filter, applied, editing, active, onCommand, onFilterCommand, onEdit } = props;
  useBindings(AUDIT_KEYS, onCommand, active && !editing);
  useBindings(AUDIT_FILTER_KEYS, onFilterCommand, active && editing, onEdit);
  const selected = lines?.[index];
  const count = lines ? `${lines.length}${complete ? '' : '+'} event${lines.length === 1 ? '' : 's'}` : '';
  return (
    <Panel title={`Audit log${applied ? ` · ${applied}` : ''}${count ? ` · ${count}` : ''}`}>
      {editing ? <TextField label="/" value={filter} placeholder="action:rotation key:billing operator:alice (⏎ apply, esc clear)" /> : null}
      {error ? <Text color="red">{error}</Text> : null}
      <AuditRow marker="  " time="TIME" operator="OPERATOR" action="ACTION" target="TARGET" detail="DETAIL" dim />
      {lines === undefined && !error ? <Text dimColor>Loading…</Text> : null}
      {lines?.length === 0 ? <Text dimColor>{applied ? 'No event matches the filter.' : 'No events yet.'}</Text> : null}
      {lines?.slice(offset, offset + height).map((line, i) => (
        <AuditRow
          key={line.seq}
          marker={offset + i === index ? '› ' : '  '}
          time={stamp(line.at)}
          operator={line.operator}
          action={line.action}
          target={line.target}
          detail={line.detail}
          bold={offset + i === index}
        />
      ))}
      {selected?.detail ? (
        <SelectedDetail text={`#${selected.seq} ${selected.action} ${selected.target}: ${selected.detail}`} dim />
      ) : null}
    </Panel>
  );
}
