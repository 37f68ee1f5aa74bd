/**
 * One fixed-width table cell, as a piece of its row's single line of text (a row is one text
 * node, which Ink lays out and measures once instead of once per cell).
 */
import { Text } from 'ink';
import { fit } from '../format.js';

export type CellProps = {
  readonly width: number;
  readonly children: string;
  readonly align?: 'left' | 'right';
  readonly color?: string;
  readonly dim?: boolean;
  readonly bold?: boolean;
};

export function Cell({ width, children, align = 'left', color, dim, bold }: CellProps) {
  return (
    <Text color={color} dimColor={dim} bold={bold}>
      {fit(children, width, align)}
      {' '}
    </Text>
  );
}
