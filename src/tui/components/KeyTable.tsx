/**
 * The visible slice of the key table, each row one line of text. Rows are memoized, so moving
 * the cursor re-renders the two rows it leaves and enters. The selected row is drawn inverse
 * across the table's whole width; a stale table (the daemon went away) is drawn dim.
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { KeyJson } from '../../client/client.js';
import { withThousands } from '../../thousands.js';
import { ago } from '../../duration.js';
import { day } from '../format.js';
import { attentionLabel, attentionOf, statusLabel, type AlertFlag, type Attention } from '../state/attention.js';
import { GUTTER, type Column, type ColumnId } from '../state/columns.js';
import { Cell } from './Cell.js';

export type SortMark = { readonly column: ColumnId; readonly arrow: string };

export type KeyTableProps = {
  readonly rows: readonly KeyJson[];
  readonly columns: readonly Column[];
  /** Index in `rows` of the cursor, or -1. */
  readonly selected: number;
  readonly rotating: ReadonlySet<string>;
  /** What open alerts say of keys: found leaked, or tripped (`alertFlags`). */
  readonly flags: ReadonlyMap<string, AlertFlag>;
  readonly now: number;
  readonly empty: string;
  /** The terminal columns the table spans (the selection is drawn across all of them). */
  readonly width: number;
  readonly sort: SortMark;
  /** The rows are from before the daemon went away. */
  readonly stale: boolean;
};

function attentionColor(attention: Attention | undefined): string | undefined {
  if (!attention) return undefined;
  return attention.kind === 'expired' || attention.kind === 'leaked' || attention.kind === 'tripped' ? 'red' : 'yellow';
}

function columnsWidth(columns: readonly Column[]): number {
  return GUTTER + columns.reduce((sum, c) => sum + c.width + 1, 0);
}

type RowProps = {
  readonly keyJson: KeyJson;
  readonly columns: readonly Column[];
  readonly selected: boolean;
  readonly rotating: boolean;
  readonly flag: AlertFlag | undefined;
  readonly now: number;
  readonly width: number;
  readonly stale: boolean;
};

const Row = memo(function Row({ keyJson: key, columns, selected, rotating, flag, now, width, stale }: RowProps) {
  const attention = attentionOf(key, now, flag);
  const status = statusLabel(key, now);
  const inactive = key.status === 'inactive';
  const cell = (column: Column) => {
    switch (column.id) {
      case 'name':
        return (
          <Cell key={column.id} width={column.width} align={column.align} dim={inactive && !selected} bold={selected}>
            {key.name}
          </Cell>
        );
      case 'owner':
        return (
          <Cell key={column.id} width={column.width} align={column.align} dim={inactive && !selected}>
            {key.owner ?? ''}
          </Cell>
        );
      case 'hint':
        return (
          <Cell key={column.id} width={column.width} align={column.align} dim>
            {key.hint}
          </Cell>
        );
      case 'status':
        return (
          <Cell key={column.id} width={column.width} align={column.align} color={status === 'canary' ? 'magenta' : status === 'expired' ? 'red' : inactive ? undefined : 'green'} dim={inactive}>
            {status + (rotating ? ' ↻' : '')}
          </Cell>
        );
      case 'attention':
        return (
          <Cell key={column.id} width={column.width} align={column.align} color={attentionColor(attention)}>
            {attention ? attentionLabel(attention) : ''}
          </Cell>
        );
      case 'created':
        return (
          <Cell key={column.id} width={column.width} align={column.align} dim>
            {day(key.createdAt)}
          </Cell>
        );
      case 'lastUsed':
        return (
          <Cell key={column.id} width={column.width} align={column.align}>
            {ago(key.lastUsedAt, now)}
          </Cell>
        );
      case 'uses':
        return (
          <Cell key={column.id} width={column.width} align={column.align}>
            {withThousands(key.uses24h)}
          </Cell>
        );
    }
  };
  return (
    <Text wrap="truncate-end" inverse={selected} dimColor={stale}>
      <Text bold color={selected ? undefined : 'cyan'}>
        {(selected ? '›' : ' ').padEnd(GUTTER)}
      </Text>
      {columns.map(cell)}
      {selected ? ' '.repeat(Math.max(0, width - columnsWidth(columns))) : ''}
    </Text>
  );
});

export function KeyTable({ rows, columns, selected, rotating, flags, now, empty, width, sort, stale }: KeyTableProps) {
  return (
    <Box flexDirection="column" flexGrow={1}>
      <Text wrap="truncate-end">
        {' '.repeat(GUTTER)}
        {columns.map((c) => (
          <Cell key={c.id} width={c.width} align={c.align} dim={c.id !== sort.column} bold={c.id === sort.column}>
            {c.id === sort.column ? `${c.title} ${sort.arrow}` : c.title}
          </Cell>
        ))}
      </Text>
      {rows.length === 0 ? (
        <Text dimColor>{`  ${empty}`}</Text>
      ) : (
        rows.map((key, i) => (
          <Row key={key.id} keyJson={key} columns={columns} selected={i === selected} rotating={rotating.has(key.id)} flag={flags.get(key.id)} now={now} width={width} stale={stale} />
        ))
      )}
    </Box>
  );
}
