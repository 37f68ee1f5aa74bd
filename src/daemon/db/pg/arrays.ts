/**
 * Statements taking a batch as one array parameter a column. Drizzle builds a query a parameter
 * at a time (its `is()` checks and `prepareTyping` for each), and `pg` serializes each on its
 * own: an import's 500-row inserts and 500-value `in (…)` lists spent half the daemon's CPU so
 * (docs/performance.md, "An import's statements on PostgreSQL"), and a usage flush of 1,000
 * keys a seventh of it under verify load ("The usage flush's statements on PostgreSQL").
 */
import { sql, type Column, type SQL } from 'drizzle-orm';

/** `column` equals one of `values`, bound as one array parameter (`inArray` binds one parameter a value). */
export function anyOf(column: Column, values: readonly unknown[]): SQL {
  return sql`${column} = any(${sql.param(values)})`;
}

/**
 * `unnest($1::text[], $2::bigint[], …)`: rows whose i-th field comes from the i-th array, each
 * cast to its column's type. The values go to `pg` as they are, so they must already be what
 * drizzle would bind for the column (`column.mapToDriverValue`, where that is not the identity).
 */
export function unnest(arrays: readonly (readonly [Column, readonly unknown[]])[]): SQL {
  const params = arrays.map(([column, values]) => sql`${sql.param(values)}::${sql.raw(column.getSQLType())}[]`);
  return sql`unnest(${sql.join(params, sql`, `)})`;
}
