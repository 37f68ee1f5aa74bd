/** `A`: the audit log, newest first, scrollable. */
import { Text } from 'ink';
import { Cell } from '../components/Cell.js';
import { Panel } from '../components/Panel.js';
import { stamp } from '../format.js';
import { useBindings } from '../hooks/useBindings.js';
import { AUDIT_KEYS, type ListCommand } from '../state/keymap.js';
import type { AuditLine } from '../state/safe.js';

export type AuditScreenProps = {
  readonly lines: readonly AuditLine[] | undefined;
  readonly error: string | undefined;
  /** Index of the cursor in `lines`, and the first line shown. */
  readonly index: number;
  readonly offset: number;
  readonly height: number;
  readonly active: boolean;
  readonly onCommand: (command: ListCommand) => void;
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

export function AuditScreen({ lines, error, index, offset, height, active, onCommand }: AuditScreenProps) {
  useBindings(AUDIT_KEYS, onCommand, active);
  return (
    <Panel title={`Audit log${lines ? ` · ${lines.length} newest events` : ''}`}>
      {error ? <Text color="red">{error}</Text> : null}
      <AuditRow marker="  " time="TIME" operator="OPERATOR" action="ACTION" target="TARGET" detail="DETAIL" dim />
      {lines === undefined ? <Text dimColor>Loading…</Text> : null}
      {lines?.length === 0 ? <Text dimColor>No events yet.</Text> : null}
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
    </Panel>
  );
}
