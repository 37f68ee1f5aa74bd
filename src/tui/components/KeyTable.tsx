/**
 * The visible slice of the key table, each row one line of text. Rows are memoized, so moving
 * the cursor re-renders the two rows it leaves and enters.
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { KeyJson } from '../../client/client.js';
import { ago, day } from '../format.js';
import { attentionLabel, attentionOf, type Attention } from '../state/attention.js';
import { GUTTER, type Column } from '../state/columns.js';
import { Cell } from './Cell.js';

export type KeyTableProps = {
  readonly rows: readonly KeyJson[];
  readonly columns: readonly Column[];
  /** Index in `rows` of the cursor, or -1. */
  readonly selected: number;
  readonly rotating: ReadonlySet<string>;
  readonly now: number;
  readonly empty: string;
};

function attentionColor(attention: Attention | undefined): string | undefined {
  if (!attention) return undefined;
  return attention.kind === 'expired' ? 'red' : 'yellow';
}

type RowProps = { readonly keyJson: KeyJson; readonly columns: readonly Column[]; readonly selected: boolean; readonly rotating: boolean; readonly now: number };

const Row = memo(function Row({ keyJson: key, columns, selected, rotating, now }: RowProps) {
  const attention = attentionOf(key, now);
  const inactive = key.status === 'inactive';
  const cell = (column: Column) => {
    switch (column.id) {
      case 'name':
        return (
          <Cell key={column.id} width={column.width} align={column.align} dim={inactive && !selected} bold={selected} color={selected ? 'cyan' : undefined}>
            {key.name}
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
          <Cell key={column.id} width={column.width} align={column.align} color={inactive ? undefined : 'green'} dim={inactive}>
            {key.status + (rotating ? ' ↻' : '')}
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
            {String(key.uses24h)}
          </Cell>
        );
    }
  };
  return (
    <Text wrap="truncate-end">
      <Text bold color="cyan">
        {(selected ? '›' : ' ').padEnd(GUTTER)}
      </Text>
      {columns.map(cell)}
    </Text>
  );
});

export function KeyTable({ rows, columns, selected, rotating, now, empty }: KeyTableProps) {
  return (
    <Box flexDirection="column" flexGrow={1}>
      <Text wrap="truncate-end">
        {' '.repeat(GUTTER)}
        {columns.map((c) => (
          <Cell key={c.id} width={c.width} align={c.align} dim>
            {c.title}
          </Cell>
        ))}
      </Text>
      {rows.length === 0 ? (
        <Text dimColor>{`  ${empty}`}</Text>
      ) : (
        rows.map((key, i) => <Row key={key.id} keyJson={key} columns={columns} selected={i === selected} rotating={rotating.has(key.id)} now={now} />)
      )}
    </Box>
  );
}
