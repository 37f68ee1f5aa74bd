/** The key table, taking the table's keys while no modal is open. */
import { KeyTable, type KeyTableProps } from '../components/KeyTable.js';
import { useBindings } from '../hooks/useBindings.js';
import { TABLE_KEYS, type TableCommand } from '../state/keymap.js';

export type TableScreenProps = KeyTableProps & { readonly active: boolean; readonly onCommand: (command: TableCommand) => void };

export function TableScreen({ active, onCommand, ...table }: TableScreenProps) {
  useBindings(TABLE_KEYS, onCommand, active);
  return <KeyTable {...table} />;
}
