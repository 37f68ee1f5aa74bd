/**
 * The add and edit forms of a key: one line of text per field, read into the fields of a
 * create or a `PATCH` (only the fields whose text changed), and the daemon's objections put
 * back under the field they are about. Pure; the forms are drawn by `KeyFormScreen`.
 */
import type { EditKeyInput, KeyJson } from '../../client/client.js';
import type { ErrorIssue } from '../../daemon/errors.js';
import { parseDuration } from '../../duration.js';
import { parseIsoTime } from '../../iso-time.js';
import { parseCount, parsePerInterval, perIntervalText } from '../../policy-text.js';
import { stripUnsafe } from '../../sanitize.js';
import { editAt, FORM_FIELD_MAX } from './text.js';

export type FieldId = 'name' | 'expires' | 'description' | 'owner' | 'scopes' | 'allowedIps' | 'rate' | 'quota' | 'refill' | 'canary';

export type FormField = {
  readonly id: FieldId;
  readonly label: string;
  /** What the field takes, shown while it has the cursor. */
  readonly help: string;
  readonly placeholder?: string;
};

/** Typed in a field of scopes: a key with no scope at all (`[]`), as opposed to any scope (empty). */
export const NO_SCOPES = '(none)';

export const FORM_FIELDS: readonly FormField[] = [
  { id: 'name', label: 'Name', help: 'A unique name of 1–64 characters on one line (unique also by look-alike characters).', placeholder: 'e.g. billing-service' },
  {
    id: 'expires',
    label: 'Expires',
    help: 'A date (2030-12-31), a date-time (2030-12-31T12:00Z) or a time from now (30d, 12h). Empty: never.',
    placeholder: 'never',
  },
  { id: 'description', label: 'Description', help: 'What the key is for (one line). Empty: none.' },
  { id: 'owner', label: 'Owner', help: 'Who the key belongs to: a team, a customer id. Verify returns it. Empty: none.' },
  {
    id: 'scopes',
    label: 'Scopes',
    help: `What the key may do, comma-separated: orders:read, billing:* (a trailing * grants everything below). Empty: any scope; ${NO_SCOPES}: no scope at all.`,
    placeholder: 'any',
  },
  { id: 'allowedIps', label: 'Allowed IPs', help: 'Addresses or CIDRs, comma-separated: 10.0.0.0/8, 2001:db8::/32. Empty: any address.', placeholder: 'any address' },
  { id: 'rate', label: 'Rate limit', help: 'N/DURATION: at most N verifications per window, e.g. 100/1m (units s, m, h, d). Empty: no limit.', placeholder: 'none' },
  { id: 'quota', label: 'Quota', help: 'How many more uses the key has. Setting it starts the count over from this number. Empty: unlimited.', placeholder: 'unlimited' },
  { id: 'refill', label: 'Refill', help: 'With a quota, N/INTERVAL: set the quota back to N every interval, e.g. 1000/1d. Empty: never.', placeholder: 'never' },
  {
    id: 'canary',
    label: 'Canary',
    help: '"yes": a key planted to be stolen; it never verifies, and presenting it raises an alert (docs/alerts.md). Only when adding: it cannot be changed. Empty: an ordinary key.',
    placeholder: 'no',
  },
];

/** The fields of the edit form: a key is a canary or not from its creation on. */
const EDIT_FIELDS = FORM_FIELDS.filter((f) => f.id !== 'canary');

export type FieldTexts = Readonly<Record<FieldId, string>>;
/** Objections by field; `form` holds those about no one field (a refusal, the daemon gone). */
export type FieldIssues = Readonly<Partial<Record<FieldId | 'form', readonly string[]>>>;

export type KeyForm = {
  readonly texts: FieldTexts;
  /** The texts the form opened with: what a field is compared with to tell it changed. */
  readonly original: FieldTexts;
  readonly focus: FieldId;
  /** The add form shows only the name until tab opens the rest. */
  readonly expanded: boolean;
  readonly issues: FieldIssues;
  readonly busy: boolean;
  /** Where typing goes in the focused field, in characters from its start; undefined: its end. */
  readonly caret?: number;
  /** The add form (a new key): the canary field is its alone. */
  readonly adding?: true;
};

const EMPTY: FieldTexts = { name: '', expires: '', description: '', owner: '', scopes: '', allowedIps: '', rate: '', quota: '', refill: '', canary: '' };

/** A new key's form: the name alone, the rest one tab away. */
export const ADD_FORM: KeyForm = { texts: EMPTY, original: EMPTY, focus: 'name', expanded: false, issues: {}, busy: false, adding: true };

/** `2030-12-31T12:00:00Z`: an ISO time without the milliseconds the daemon adds. */
function timeText(iso: string): string {
  return iso.replace(/\.000Z$/, 'Z');
}

/** `key`'s fields as the form shows them. */
export function textsOf(key: KeyJson): FieldTexts {
  const q = key.quota;
  return {
    name: key.name,
    expires: key.expiresAt === null ? '' : timeText(key.expiresAt),
    description: key.description ?? '',
    owner: key.owner ?? '',
    scopes: key.scopes === null ? '' : key.scopes.length === 0 ? NO_SCOPES : key.scopes.join(', '),
    allowedIps: key.allowedIps?.join(', ') ?? '',
    rate: key.rateLimit ? perIntervalText(key.rateLimit.limit, key.rateLimit.windowSeconds) : '',
    quota: q ? String(q.remaining) : '',
    refill: q?.refill ? perIntervalText(q.refill.amount, q.refill.intervalSeconds) : '',
    canary: key.canary ? 'yes' : '',
  };
}

export function editForm(key: KeyJson): KeyForm {
  const texts = textsOf(key);
  return { texts, original: texts, focus: 'name', expanded: true, issues: {}, busy: false };
}

function fieldsOf(form: KeyForm): readonly FormField[] {
  return form.adding ? FORM_FIELDS : EDIT_FIELDS;
}

/** The fields on screen: the name alone while the add form is collapsed. */
export function shownFields(form: KeyForm): readonly FormField[] {
  return form.expanded ? fieldsOf(form) : FORM_FIELDS.slice(0, 1);
}

/** The cursor on the next (`1`) or previous (`-1`) field, round the ends; a collapsed form opens. */
export function moveFocus(form: KeyForm, step: 1 | -1): KeyForm {
  const fields = fieldsOf(form);
  const at = fields.findIndex((f) => f.id === form.focus);
  const next = fields[(at + step + fields.length) % fields.length]!;
  return { ...form, expanded: true, focus: next.id, caret: undefined };
}

/** `form` with the focused field's text `after` and its `caret`; its objections go, the text having changed. */
function withText(form: KeyForm, after: string, caret?: number): KeyForm {
  if (after === form.texts[form.focus]) return caret === form.caret ? form : { ...form, caret };
  const issues: Partial<Record<FieldId | 'form', readonly string[]>> = { ...form.issues };
  delete issues[form.focus];
  delete issues.form;
  return { ...form, texts: { ...form.texts, [form.focus]: after }, issues, caret };
}

/** The focused field after a keypress (see `editAt`): typing goes in at the caret, the arrows, Home and End move it. */
export function typeInto(form: KeyForm, name: string, input: string): KeyForm {
  const { value, caret } = editAt(form.texts[form.focus], form.caret, name, input, FORM_FIELD_MAX);
  return withText(form, value, caret);
}

/**
 * `form` showing `issues`, the cursor on the first field they are about: the answer to Enter
 * must not be a hunt for the line that says what is wrong (the daemon may object to a field
 * far above the cursor). Objections about no one field leave the cursor where it is.
 */
export function withIssues<F extends KeyForm>(form: F, issues: FieldIssues): F {
  const first = fieldsOf(form).find((f) => (issues[f.id]?.length ?? 0) > 0);
  if (!first) return { ...form, issues };
  return { ...form, issues, focus: first.id, expanded: form.expanded || first.id !== 'name' };
}

/** What an edit form of a key deleted meanwhile says, whatever is typed into it. */
export const KEY_GONE = 'This key was deleted meanwhile: nothing here can be saved; esc goes back to the table';

/** The edit form of a key deleted meanwhile (`Mode` 'edit', `gone`) as drawn: it says so under its fields, whatever is typed. */
export function withGoneNote<F extends KeyForm>(form: F): F {
  return { ...form, issues: { ...form.issues, form: [KEY_GONE] } };
}

/** The focused field emptied: for most fields, "none" or "no restriction". */
export function clearField(form: KeyForm): KeyForm {
  return withText(form, '');
}

const RELATIVE = /^\d+[smhd]$/;

/** What a field's text could not be read as, said under the field. */
type Problem = { readonly problem: string };

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && 'problem' in value;
}

/**
 * An expiry as typed: a date, a date-time, or a time from now with its unit (`30d`). One in the
 * past is refused here, as the CLI refuses it, and not only by the daemon: an earlier expiry is
 * a narrowing, and asking "narrow the key?" about a date the daemon will refuse asks for nothing.
 */
function readExpiry(text: string, now: number): string | Problem {
  const at = RELATIVE.test(text) ? now + parseDuration(text)! * 1000 : parseIsoTime(text);
  if (at === undefined) return { problem: 'is not a date: write 2030-12-31, 2030-12-31T12:00Z, or a time from now such as 30d' };
  if (at <= now) return { problem: 'must be in the future' };
  return new Date(at).toISOString();
}

/**
 * A list as typed: comma-separated, spaces around an entry dropped. No scope, address or CIDR
 * holds a space, so one inside an entry is most likely a list separated by spaces: it is named
 * as that here, where the daemon could only say the entry is not a scope or has a prefix length
 * that is not a number. Nothing is guessed: the entry is not split and nothing is sent.
 */
function listOf(text: string): string[] | Problem {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const spaced = items.find((item) => /\s/.test(item));
  return spaced === undefined ? items : { problem: `"${spaced}" has a space: separate entries with commas` };
}

/** What a form sends: a create takes `canary` too. */
export type FormInput = EditKeyInput & { canary?: true };

export type ReadForm = { readonly input: FormInput; readonly problems: FieldIssues };

/**
 * The request the form's changed fields make: each field whose text differs from what the
 * form opened with, read into the daemon's shape (an empty field clears: null). The quota and
 * its refill go together, as the daemon sets them. What cannot be read is a problem under its
 * field, checked here because the daemon never sees the text (ranges are the daemon's to judge).
 */
export function readForm(form: Pick<KeyForm, 'texts' | 'original'>, now: number): ReadForm {
  const text = (id: FieldId) => form.texts[id].trim();
  const changed = (id: FieldId) => text(id) !== form.original[id].trim();
  const input: FormInput = {};
  const problems: Partial<Record<FieldId, string[]>> = {};
  const problem = (id: FieldId, message: string) => (problems[id] = [message]);
  /** A field as read: its problem under it, or its value handed to `set`. */
  const take = <T>(id: FieldId, read: T | Problem, set: (value: T) => void) => (isProblem(read) ? problem(id, read.problem) : set(read));

  if (changed('name')) input.name = text('name');
  if (changed('expires')) take('expires', text('expires') ? readExpiry(text('expires'), now) : null, (at) => (input.expiresAt = at));
  if (changed('description')) input.description = text('description') || null;
  if (changed('owner')) input.owner = text('owner') || null;
  if (changed('scopes')) take('scopes', !text('scopes') ? null : text('scopes') === NO_SCOPES ? [] : listOf(text('scopes')), (scopes) => (input.scopes = scopes));
  if (changed('allowedIps')) take('allowedIps', text('allowedIps') ? listOf(text('allowedIps')) : null, (ips) => (input.allowedIps = ips));
  if (changed('rate')) {
    take('rate', text('rate') ? parsePerInterval(text('rate')) : null, (rate) => (input.rateLimit = rate && { limit: rate.count, windowSeconds: rate.seconds }));
  }
  if (changed('quota') || changed('refill')) {
    if (!text('quota')) {
      if (text('refill')) problem('refill', 'needs a quota: a refill sets the quota back to N');
      else input.quota = null;
    } else {
      const remaining = parseCount(text('quota'));
      const refill = text('refill') ? parsePerInterval(text('refill')) : null;
      if (remaining === undefined) problem('quota', 'is not a whole number');
      if (isProblem(refill)) problem('refill', refill.problem);
      else if (remaining !== undefined) input.quota = { remaining, refill: refill && { amount: refill.count, intervalSeconds: refill.seconds } };
    }
  }
  if (changed('canary')) {
    if (/^y(es)?$/i.test(text('canary'))) input.canary = true;
    else if (!/^(no?)?$/i.test(text('canary'))) problem('canary', 'is "yes" for a canary, or empty for an ordinary key');
  }
  return { input, problems };
}

export function hasIssues(issues: FieldIssues): boolean {
  return Object.values(issues).some((list) => list !== undefined && list.length > 0);
}

/** The field a request path is about (`scopes.2` → scopes, `quota.refill.amount` → refill). */
const FIELD_OF_PATH: Readonly<Record<string, FieldId>> = {
  name: 'name',
  expiresAt: 'expires',
  description: 'description',
  owner: 'owner',
  scopes: 'scopes',
  allowedIps: 'allowedIps',
  rateLimit: 'rate',
  quota: 'quota',
};

/** Which number of `N/DURATION` a path names, for the message. */
const PART_OF_PATH: Readonly<Record<string, string>> = {
  'rateLimit.limit': 'N',
  'rateLimit.windowSeconds': 'the window, in seconds,',
  'quota.refill.amount': 'N',
  'quota.refill.intervalSeconds': 'the interval, in seconds,',
};

/**
 * The daemon's objections (`issues` with request paths) under the fields they are about. An
 * entry of a list is named by its text, and entries refused for the same reason share one line
 * (`"b!", "d$" must be segments…`).
 */
export function issuesByField(issues: readonly ErrorIssue[], sent: EditKeyInput): FieldIssues {
  const lines = new Map<string, { field: FieldId | 'form'; items: string[]; text: string }>();
  for (const issue of issues) {
    const message = stripUnsafe(issue.message);
    const [head = '', second] = issue.path.split('.');
    const field: FieldId | undefined = head === 'quota' && second === 'refill' ? 'refill' : FIELD_OF_PATH[head];
    const list = head === 'scopes' ? sent.scopes : head === 'allowedIps' ? sent.allowedIps : undefined;
    const item = list && second !== undefined ? list[Number(second)] : undefined;
    const part = PART_OF_PATH[issue.path];
    const text = part ? `${part} ${message}` : field ? message : `${stripUnsafe(issue.path)} ${message}`;
    const key = `${field ?? 'form'}\n${item === undefined ? 'field' : 'item'}\n${text}`;
    const line = lines.get(key) ?? { field: field ?? 'form', items: [], text };
    if (item !== undefined) line.items.push(JSON.stringify(item));
    lines.set(key, line);
  }
  const out: Partial<Record<FieldId | 'form', string[]>> = {};
  for (const { field, items, text } of lines.values()) (out[field] ??= []).push(items.length ? `${items.join(', ')} ${text}` : text);
  return out;
}

/** The changed fields, named as the form names them (for the toast after saving). */
export function changedLabels(input: EditKeyInput): string {
  const labels = FORM_FIELDS.filter((f) => {
    const path = Object.entries(FIELD_OF_PATH).find(([, id]) => id === f.id)?.[0];
    return path !== undefined && path in input;
  }).map((f) => f.label.charAt(0).toLowerCase() + f.label.slice(1));
  return labels.join(', ');
}

/**
 * The objections to draw in `room` lines: wrapped when they fit so (`lines` says how many lines
 * one takes wrapped), else one cut line each, else only the first of each list, saying how
 * many more there are. Lists are given and returned in the form's order.
 */
export function fitObjections(lists: readonly (readonly string[])[], room: number, lines: (text: string) => number): { lists: string[][]; compact: boolean } {
  const all = lists.map((l) => [...l]);
  if (all.flat().reduce((n, text) => n + lines(text), 0) <= room) return { lists: all, compact: false };
  if (all.flat().length <= room) return { lists: all, compact: true };
  return { lists: all.map((l) => (l.length > 1 ? [`${l[0]} (+${l.length - 1} more)`] : l)), compact: true };
}
