/**
 * The details of one key as lines of a label and a value, cut to fit a screen: the policy in
 * words ("100 per 1m", "940 left; back to 1000 every 1d"), owner, description, expiry, times,
 * and meta as indented JSON; a long description or deactivation reason wraps. When the lines do
 * not fit, meta gives way first (down to one line), then the longest list, each cut saying how
 * much is not shown, then the wrapped texts (down to one line ending in "…"); below that (a
 * terminal shorter than 80×24 needs) the last lines go. Pure.
 */
import type { AlertJson, KeyJson } from '../../client/client.js';
import { ago, formatElapsed } from '../../duration.js';
import { withThousands } from '../../thousands.js';
import { allowedIpsPhrase, quotaPhrase, ratePhrase, scopesPhrase } from '../../policy-text.js';
import { prefixOf, stamp, widthOf, wrapWords } from '../format.js';
import { keyAlertLine } from '../../alert-text.js';
import { statusLabel } from './attention.js';

export type Tone = 'dim' | 'warn' | 'bad';

/** One line of the details: a label on the first line of each field, the value beside it. */
export type DetailLine = { readonly label: string; readonly text: string; readonly tone?: Tone };

/** The label column: the longest label and a space. */
export const LABEL_WIDTH = 13;

type Block = { label: string; lines: string[]; tone?: Tone; give?: 'meta' | 'list' | 'text' };

/** `in 2d3h`, `2h ago`: to the minute where the table rounds (`now` may be seconds old). */
function relative(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  return ms > 0 ? `in ${formatElapsed(ms)}` : ago(iso, now);
}

function expiryBlock(key: KeyJson, now: number): Block {
  if (key.expiresAt === null) return { label: 'expires', lines: ['never'], tone: 'dim' };
  const past = Date.parse(key.expiresAt) <= now;
  return { label: past ? 'expired' : 'expires', lines: [`${stamp(key.expiresAt)} (${relative(key.expiresAt, now)})`], tone: past ? 'bad' : undefined };
}

/**
 * `items` as lines at most `width` wide, comma-separated; a single item wider than a line has
 * a line of its own (cut when drawn). Past `maxLines`, the last line ends in `+N more`, its
 * item cut to leave room for it.
 */
export function packItems(items: readonly string[], width: number, maxLines = Infinity): string[] {
  const lines: string[][] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] + (i < items.length - 1 ? ',' : '');
    const line = lines.at(-1);
    if (line && widthOf([...line, item].join(' ')) <= width) line.push(item);
    else lines.push([item]);
  }
  if (lines.length <= maxLines) return lines.map((l) => l.join(' '));
  const kept = lines.slice(0, Math.max(1, maxLines));
  const last = kept.at(-1)!;
  let shown = kept.reduce((n, l) => n + l.length, 0);
  const tail = () => `+${items.length - shown} more`;
  while (last.length > 1 && widthOf([...last, tail()].join(' ')) > width) {
    last.pop();
    shown--;
  }
  // One item wider than the line is cut here, not where it is drawn: the count must show.
  if (widthOf(`${last[0]} ${tail()}`) > width) last[0] = `${prefixOf(last[0]!, Math.max(1, width - widthOf(tail()) - 2))}…`;
  last.push(tail());
  return kept.map((l) => l.join(' '));
}

function listBlock(label: string, items: readonly string[] | null, phrase: string, width: number): Block {
  if (items === null || items.length === 0) return { label, lines: [phrase], tone: items === null ? 'dim' : 'warn' };
  return { label, lines: packItems(items, width), give: 'list' };
}

/** Free text (a description, a reason) over as many lines as it takes; cut last. */
function textBlock(label: string, text: string, width: number, tone?: Tone): Block {
  return { label, lines: wrapWords(text, width), ...(tone && { tone }), give: 'text' };
}

function metaBlock(meta: KeyJson['meta']): Block {
  if (meta === null || meta === undefined) return { label: 'meta', lines: ['—'], tone: 'dim' };
  return { label: 'meta', lines: JSON.stringify(meta, null, 2).split('\n'), give: 'meta' };
}

/** Cuts `block` to `keep` lines (at least one), the last saying how many are left out. */
function cut(block: Block, keep: number, width: number, items: readonly string[] | null, meta: KeyJson['meta']): Block {
  if (block.give === 'list') return { ...block, lines: packItems(items ?? [], width, keep) };
  if (block.give === 'text') {
    const lines = block.lines.slice(0, keep);
    lines[keep - 1] = `${prefixOf(lines[keep - 1]!, width - 1)}…`;
    return { ...block, lines };
  }
  // Two lines of indented JSON say less than the object on one line, cut at the edge.
  if (keep <= 2) return { ...block, lines: [JSON.stringify(meta)] };
  const hidden = block.lines.length - (keep - 1);
  return { ...block, lines: [...block.lines.slice(0, keep - 1), `… ${hidden} more lines`] };
}

/** Open alerts a key's details list before the rest is cut; more say how many are left out. */
const ALERTS_SHOWN = 3;

/** The key's open alerts, newest first, right under its status: what an admin acts on first. */
function alertsBlock(key: KeyJson, openAlerts: Iterable<AlertJson>, now: number): Block[] {
  const open = [...openAlerts].filter((a) => a.keyId === key.id && a.state === 'open').sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt));
  if (open.length === 0) return [];
  const lines = open.slice(0, ALERTS_SHOWN).map((a) => keyAlertLine(a, ago(a.lastSeenAt, now)));
  if (open.length > ALERTS_SHOWN) lines.push(`+${open.length - ALERTS_SHOWN} more (! lists them all)`);
  return [{ label: 'alerts', lines, tone: 'bad' }];
}

/**
 * The details of `key` as at most `height` lines, values at most `width - LABEL_WIDTH` wide;
 * `openAlerts` are the open alerts the TUI holds (those of this key are listed).
 */
export function detailLines(key: KeyJson, now: number, width: number, height: number, openAlerts: Iterable<AlertJson> = []): DetailLine[] {
  const valueWidth = Math.max(10, width - LABEL_WIDTH);
  const status = statusLabel(key, now);
  const lastUsed = key.lastUsedAt === null ? 'never' : `${ago(key.lastUsedAt, now)} (${stamp(key.lastUsedAt)})`;
  const blocks: Block[] = [
    key.description ? textBlock('description', key.description, valueWidth) : { label: 'description', lines: ['—'], tone: 'dim' },
    { label: 'owner', lines: [key.owner ?? '—'], tone: key.owner ? undefined : 'dim' },
    {
      label: 'status',
      lines: [key.deactivatedAt && key.status === 'inactive' ? `inactive since ${stamp(key.deactivatedAt)}` : status],
      tone: status === 'active' ? undefined : 'bad',
    },
    ...(key.status === 'inactive' && key.deactivationReason ? [textBlock('reason', key.deactivationReason, valueWidth, 'bad')] : []),
    ...alertsBlock(key, openAlerts, now),
    expiryBlock(key, now),
    { label: 'created', lines: [`${stamp(key.createdAt)} by ${key.createdBy}`] },
    { label: 'last used', lines: [`${lastUsed} · ${withThousands(key.uses24h)} uses in 24h`] },
    listBlock('scopes', key.scopes, scopesPhrase(key.scopes), valueWidth),
    listBlock('allowed IPs', key.allowedIps, allowedIpsPhrase(key.allowedIps), valueWidth),
    { label: 'rate limit', lines: [ratePhrase(key.rateLimit)], tone: key.rateLimit ? undefined : 'dim' },
    {
      label: 'quota',
      lines: [quotaPhrase(key.quota, (iso) => (iso === null ? '—' : relative(iso, now)))],
      tone: key.quota === null ? 'dim' : key.quota.remaining === 0 ? 'bad' : undefined,
    },
    metaBlock(key.meta),
  ];
  let over = blocks.reduce((n, b) => n + b.lines.length, 0) - height;
  // Meta gives way first, then the lists, the longer first, then the texts, the longer first.
  const longerFirst = (give: Block['give']) => blocks.filter((b) => b.give === give).sort((a, b) => b.lines.length - a.lines.length);
  const giving = [...longerFirst('meta'), ...longerFirst('list'), ...longerFirst('text')];
  for (const block of giving) {
    if (over <= 0) break;
    const keep = Math.max(1, block.lines.length - over);
    if (keep >= block.lines.length) continue;
    const items = block.label === 'scopes' ? key.scopes : key.allowedIps;
    const smaller = cut(block, keep, valueWidth, items, key.meta);
    over -= block.lines.length - smaller.lines.length;
    blocks[blocks.indexOf(block)] = smaller;
  }
  const lines: DetailLine[] = blocks.flatMap((b) => b.lines.map((text, i) => ({ label: i === 0 ? b.label : '', text, ...(b.tone && { tone: b.tone }) })));
  if (lines.length <= height) return lines;
  // A terminal this short (below ~80×24) cannot show every field: say so rather than clip.
  const kept = lines.slice(0, Math.max(0, height - 1));
  return [...kept, { label: '', text: `… ${lines.length - kept.length} more lines in a taller terminal`, tone: 'dim' }];
}
