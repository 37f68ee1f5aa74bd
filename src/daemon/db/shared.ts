/** Query pieces both stores build the same way, whatever their dialect. */
import { eq, or, type Column } from 'drizzle-orm';
import { nameColumns } from '../names.js';

/** Rows (keys or operators) whose name is `name` ignoring case, or looks like it. */
export function sameOrLookAlike(table: { nameFolded: Column; nameSkeleton: Column }, name: string) {
  const { nameFolded, nameSkeleton } = nameColumns(name);
  return or(eq(table.nameFolded, nameFolded), eq(table.nameSkeleton, nameSkeleton));
}
