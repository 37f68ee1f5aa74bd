/**
 * Which table columns fit a terminal width. The name and status always show; narrower
 * terminals drop the columns an admin can most easily do without, in `dropOrder`. The owner
 * goes first: it is in the details (`d`) and the filter matches it.
 */
export type ColumnId = 'name' | 'owner' | 'hint' | 'status' | 'attention' | 'created' | 'lastUsed' | 'uses';

export type Column = { readonly id: ColumnId; readonly title: string; readonly width: number; readonly align: 'left' | 'right' };

type Spec = Column & { readonly dropOrder: number };

/** Room for the `›` cursor and a space before the first column. */
export const GUTTER = 2;
const GAP = 1;
const NAME_MIN = 14;
const NAME_MAX = 40;

const SPECS: readonly Spec[] = [
  { id: 'name', title: 'NAME', width: NAME_MIN, align: 'left', dropOrder: 0 },
  { id: 'owner', title: 'OWNER', width: 16, align: 'left', dropOrder: 1 },
  { id: 'hint', title: 'HINT', width: 12, align: 'left', dropOrder: 3 },
  { id: 'status', title: 'STATUS', width: 10, align: 'left', dropOrder: 0 },
  { id: 'attention', title: 'ATTENTION', width: 11, align: 'left', dropOrder: 6 },
  { id: 'created', title: 'CREATED', width: 10, align: 'left', dropOrder: 2 },
  // Wide enough for the title and the sort arrow (`LAST USED ▼`).
  { id: 'lastUsed', title: 'LAST USED', width: 11, align: 'left', dropOrder: 5 },
  { id: 'uses', title: 'USES 24H', width: 10, align: 'right', dropOrder: 4 },
];

function needed(specs: readonly Spec[]): number {
  return GUTTER + specs.reduce((sum, s) => sum + s.width + GAP, 0);
}

/** The columns for a table `width` cells wide; the name column takes the room left over. */
export function layoutColumns(width: number): Column[] {
  let specs = [...SPECS];
  const droppable = SPECS.filter((s) => s.dropOrder > 0).sort((a, b) => a.dropOrder - b.dropOrder);
  for (const drop of droppable) {
    if (needed(specs) <= width) break;
    specs = specs.filter((s) => s !== drop);
  }
  const spare = Math.max(0, width - needed(specs));
  return specs.map(({ id, title, width: w, align }) => ({ id, title, align, width: id === 'name' ? Math.min(NAME_MAX, w + spare) : w }));
}
