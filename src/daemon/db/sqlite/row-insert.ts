/**
 * One row insert, prepared once and run per row with better-sqlite3: for a bulk write (an
 * import), where drizzle's query builder cost ~12 µs of CPU a row in its entity checks and SQL
 * assembly, most of the import's time. Values are mapped as drizzle maps them (a flag as 0/1).
 */
import type Database from 'better-sqlite3';
import { getTableColumns, getTableName, type Table } from 'drizzle-orm';

type Values = Readonly<Record<string, unknown>>;

/**
 * Inserts a row of `table` given by its drizzle property names, taken from `over` where it has
 * them and from `row` otherwise (no merged object made per row); other properties are ignored.
 */
export function rowInserter(sqlite: Database.Database, table: Table): (row: Values, over: Values) => void {
  const columns = Object.entries(getTableColumns(table));
  const statement = sqlite.prepare(
    `insert into "${getTableName(table)}" (${columns.map(([, c]) => `"${c.name}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
  );
  return (row, over) => {
    statement.run(
      columns.map(([property, column]) => {
        const value = property in over ? over[property] : row[property];
        return value === undefined || value === null ? null : column.mapToDriverValue(value);
      }),
    );
  };
}
