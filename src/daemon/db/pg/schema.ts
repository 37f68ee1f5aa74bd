/**
 * The PostgreSQL schema of the key store: the same tables, columns and indexes as the SQLite
 * schema (`../sqlite/schema.ts`), so every feature behaves the same on both backends; a test compares
 * the two. Times are `bigint` milliseconds since the epoch (UTC), read back as numbers. No
 * table holds a secret: keys and operator tokens are stored as their SHA-256. Over 300 lines
 * because it declares every table; it holds no logic.
 */
import { sql } from 'drizzle-orm';
import { ALERT_KINDS } from '../../alerts/kinds.js';
import { bigint, boolean, index, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

/** A 64-bit integer read as a JS number: times in ms and counters stay far below 2^53. */
const int64 = (name: string) => bigint(name, { mode: 'number' });

export const operators = pgTable(
  'operators',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** Case-folded name: uniqueness is case-insensitive. */
    nameFolded: text('name_folded').notNull(),
    /** Confusable skeleton of the name (UTS #39): look-alike names are refused too. */
    nameSkeleton: text('name_skeleton'),
    role: text('role', { enum: ['admin', 'manager', 'viewer', 'service'] }).notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: int64('created_at').notNull(),
    disabledAt: int64('disabled_at'),
  },
  (t) => [
    uniqueIndex('operators_name_folded').on(t.nameFolded),
    uniqueIndex('operators_name_skeleton').on(t.nameSkeleton),
    uniqueIndex('operators_token_hash').on(t.tokenHash),
  ],
);

export const keys = pgTable(
  'keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    nameFolded: text('name_folded').notNull(),
    nameSkeleton: text('name_skeleton'),
    hash: text('hash').notNull(),
    hint: text('hint').notNull(),
    status: text('status', { enum: ['active', 'inactive'] }).notNull(),
    createdAt: int64('created_at').notNull(),
    createdBy: text('created_by').notNull(),
    deactivatedAt: int64('deactivated_at'),
    deactivationReason: text('deactivation_reason'),
    expiresAt: int64('expires_at'),
    lastUsedAt: int64('last_used_at'),
    // Policy and labels (docs/policy.md); null is "no restriction" or "no label".
    description: text('description'),
    owner: text('owner'),
    /** JSON object, ≤ 4 KiB. */
    meta: text('meta'),
    /** JSON array of scopes. */
    scopes: text('scopes'),
    /** JSON array of canonical CIDRs. */
    allowedIps: text('allowed_ips'),
    rateLimit: int64('rate_limit'),
    rateLimitWindowSeconds: int64('rate_limit_window_seconds'),
    /** Uses left in the current refill period, as of the last usage flush; null: no quota. */
    quotaRemaining: int64('quota_remaining'),
    quotaRefillAmount: int64('quota_refill_amount'),
    quotaRefillIntervalSeconds: int64('quota_refill_interval_seconds'),
    quotaRefilledAt: int64('quota_refilled_at'),
    /** When an operator last set the quota: uses counted under an older setting no longer apply. */
    quotaSetAt: int64('quota_set_at'),
    /** A canary exists only to be stolen: it never verifies, and presenting it raises `canary.tripped`. Set at creation, never changed. */
    canary: boolean('canary').notNull().default(false),
    /** The rotation whose cut-over deactivated this key: presenting it while inactive raises `old_key.presented_after_cutover`. */
    rotatedOutBy: text('rotated_out_by'),
    /** Verifications since `usage_window.from_minute`, kept by the usage flush so the list sorts by it without reading usage (docs/performance.md). */
    uses24h: int64('uses_24h').notNull().default(0),
  },
  (t) => [
    uniqueIndex('keys_name_folded').on(t.nameFolded),
    uniqueIndex('keys_name_skeleton').on(t.nameSkeleton),
    uniqueIndex('keys_hash').on(t.hash),
    // The expiry alerts' look-ahead (db/key-columns.ts `expiringWhere`) reads only keys that expire;
    // without it every check scanned the whole table (and filled the page cache with it).
    index('keys_expiring').on(t.status, t.expiresAt).where(sql`${t.expiresAt} is not null`),
    // The list's sorts (src/daemon/db/key-list.ts): each its sort key, ascending in its natural order.
    index('keys_sort_newest').on(sql`(-${t.createdAt})`, t.id),
    index('keys_sort_last_used').on(sql`(-coalesce(${t.lastUsedAt}, -1))`, t.nameFolded),
    index('keys_sort_uses').on(sql`(-${t.uses24h})`, t.nameFolded),
    index('keys_sort_status').on(t.status, t.nameFolded),
    index('keys_sort_owner').on(sql`coalesce(${t.owner}, '')`, t.nameFolded),
  ],
);

/** The one row saying where the 24-hour window of `keys.uses_24h` starts (epoch minutes); absent until the first list. */
export const usageWindow = pgTable(
  'usage_window',
  {
    id: int64('id').primaryKey(),
    fromMinute: int64('from_minute').notNull(),
  },
);

/** Verifications per key and minute; `minute` is epoch minutes. Pruned after 30 days. */
export const usageBuckets = pgTable(
  'usage_buckets',
  {
    keyId: text('key_id')
      .notNull()
      .references(() => keys.id, { onDelete: 'cascade' }),
    minute: int64('minute').notNull(),
    ok: int64('ok').notNull().default(0),
    rejected: int64('rejected').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.minute] }), index('usage_buckets_minute').on(t.minute)],
);

/**
 * Caller labels seen per key: the 1,000 seen most recently, the rest added up in the row whose
 * label is empty (no real label is), each aged out with the usage retention.
 */
export const keyCallers = pgTable(
  'key_callers',
  {
    keyId: text('key_id')
      .notNull()
      .references(() => keys.id, { onDelete: 'cascade' }),
    caller: text('caller').notNull(),
    firstSeenAt: int64('first_seen_at').notNull(),
    lastSeenAt: int64('last_seen_at').notNull(),
    ok: int64('ok').notNull().default(0),
    rejected: int64('rejected').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.caller] }), index('key_callers_last_seen').on(t.lastSeenAt)],
);

/**
 * Append-only audit log. Each row carries an HMAC (keyed by a secret only the daemon's home
 * holds) of the previous row's hash and its own content, so an edited or removed row breaks
 * the chain and nobody without the key can recompute it. Appends are serialized by an
 * advisory lock, so `seq` order is chain order even with several daemons writing.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: int64('seq').primaryKey().generatedAlwaysAsIdentity(),
    id: text('id').notNull().unique(),
    at: int64('at').notNull(),
    operatorId: text('operator_id').notNull(),
    operatorName: text('operator_name').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    targetName: text('target_name').notNull(),
    /** JSON object with non-secret details (e.g. `{"force":true}`). */
    detail: text('detail').notNull().default('{}'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    /**
     * Which home's audit key signed `hash` (an HMAC-SHA256); null for an event written before
     * events were signed, whose `hash` is a plain SHA-256.
     */
    signer: text('signer'),
  },
  // `GET /v1/audit?key=` looks events up by their target; without these it reads the whole log.
  (t) => [index('audit_events_target_id').on(t.targetId), index('audit_events_target_name').on(t.targetName)],
);

export const rotations = pgTable(
  'rotations',
  {
    id: text('id').primaryKey(),
    /** No foreign key: the old key is deleted at the end of a rotation, the record stays. */
    oldKeyId: text('old_key_id').notNull(),
    oldKeyName: text('old_key_name').notNull(),
    newKeyId: text('new_key_id').notNull(),
    newKeyName: text('new_key_name').notNull(),
    step: text('step', {
      enum: ['update_systems', 'verify_new', 'deactivate_old', 'double_check', 'delete_old', 'completed', 'cancelled'],
    }).notNull(),
    stepStartedAt: int64('step_started_at').notNull(),
    createdAt: int64('created_at').notNull(),
    createdBy: text('created_by').notNull(),
    /** How long double_check watches traffic after the cut-over, in ms (rows from before it: 10 min). */
    watchMs: int64('watch_ms').notNull().default(600_000),
    verifyNewAt: int64('verify_new_at'),
    deactivateOldAt: int64('deactivate_old_at'),
    /** When the old key was (or will be, for a scheduled cut-over) deactivated. */
    deactivateAt: int64('deactivate_at'),
    doubleCheckAt: int64('double_check_at'),
    deleteOldAt: int64('delete_old_at'),
    endedAt: int64('ended_at'),
    /** How the rotation ended: `deleted`, `kept_inactive`, or `cancelled`. */
    outcome: text('outcome'),
    /**
     * Both keys' all-time verification counts at the cut-over, so evidence "since deactivation"
     * is exact rather than counted from the start of the cut-over's minute.
     */
    cutNewOk: int64('cut_new_ok'),
    cutNewRejected: int64('cut_new_rejected'),
    cutOldOk: int64('cut_old_ok'),
    cutOldRejected: int64('cut_old_rejected'),
  },
  (t) => [
    uniqueIndex('rotations_open_old_key')
      .on(t.oldKeyId)
      .where(sql`${t.step} not in ('completed', 'cancelled')`),
    uniqueIndex('rotations_open_new_key')
      .on(t.newKeyId)
      .where(sql`${t.step} not in ('completed', 'cancelled')`),
  ],
);

/**
 * Webhook receivers (admin). The signing secret is kept sealed (AES-256-GCM) under the key in
 * the home's `webhook.key`, whose fingerprint is `keyId`: a copy of the store alone does not
 * give the secrets away. `events` is a JSON array of event patterns (`*`, `key.*`, `key.leaked`).
 */
export const webhooks = pgTable('webhooks', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  events: text('events').notNull(),
  sealedSecret: text('sealed_secret').notNull(),
  keyId: text('key_id').notNull(),
  createdAt: int64('created_at').notNull(),
  createdBy: text('created_by').notNull(),
});

/**
 * The outbox and delivery log in one: a row per event and webhook, written in the transaction
 * of the change it announces, delivered (at least once) until it succeeds or 24 hours pass.
 * `lockedUntil` is the lease of the daemon delivering it right now.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    type: text('type').notNull(),
    /** The JSON body sent, `{id,type,at,data}`: the signature covers exactly these bytes. */
    body: text('body').notNull(),
    createdAt: int64('created_at').notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull(),
    attempts: int64('attempts').notNull().default(0),
    nextAttemptAt: int64('next_attempt_at').notNull(),
    lockedUntil: int64('locked_until'),
    lastAttemptAt: int64('last_attempt_at'),
    lastStatus: int64('last_status'),
    lastError: text('last_error'),
    deliveredAt: int64('delivered_at'),
  },
  (t) => [index('webhook_deliveries_due').on(t.status, t.nextAttemptAt), index('webhook_deliveries_webhook').on(t.webhookId, t.createdAt)],
);

/**
 * Deleted keys, remembered for 365 days so that a deleted key still presented is noticed
 * (docs/alerts.md): the hash, id, name and hint of each, when and by whom it was deleted, and
 * who presented it since. Pruned by the daemon once `deletedAt` is a year old.
 */
export const keyTombstones = pgTable(
  'key_tombstones',
  {
    keyId: text('key_id').primaryKey(),
    hash: text('hash').notNull(),
    name: text('name').notNull(),
    hint: text('hint').notNull(),
    deletedAt: int64('deleted_at').notNull(),
    deletedBy: text('deleted_by').notNull(),
    /** The rotation that had cut the key over, if one did: presenting it is `old_key.presented_after_cutover`. */
    rotationId: text('rotation_id'),
    presentations: int64('presentations').notNull().default(0),
    lastPresentedAt: int64('last_presented_at'),
    lastCaller: text('last_caller'),
    lastIp: text('last_ip'),
  },
  (t) => [uniqueIndex('key_tombstones_hash').on(t.hash), index('key_tombstones_deleted').on(t.deletedAt, t.keyId)],
);

/**
 * Alerts (docs/alerts.md): one row per kind, key and caller while it is open (the partial
 * unique index), its count and first and last sighting growing with each presentation. No
 * foreign key: an alert outlives the key it names. `caller` is empty for "no caller given" and
 * for the callers beyond the most a key keeps open alerts for; `detail` is a JSON object.
 */
export const alerts = pgTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ALERT_KINDS }).notNull(),
    keyId: text('key_id').notNull(),
    keyName: text('key_name').notNull(),
    caller: text('caller').notNull(),
    ip: text('ip'),
    count: int64('count').notNull(),
    firstSeenAt: int64('first_seen_at').notNull(),
    lastSeenAt: int64('last_seen_at').notNull(),
    detail: text('detail').notNull().default('{}'),
    ackedAt: int64('acked_at'),
    ackedBy: text('acked_by'),
  },
  (t) => [
    uniqueIndex('alerts_open')
      .on(t.kind, t.keyId, t.caller)
      .where(sql`${t.ackedAt} is null`),
    index('alerts_sighted').on(t.kind, t.keyId, t.caller, t.firstSeenAt),
    index('alerts_last_seen').on(t.lastSeenAt, t.id),
  ],
);
