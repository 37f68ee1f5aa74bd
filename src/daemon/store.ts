/**
 * The storage interface the daemon's services use. Every method is async so a networked store
 * (PostgreSQL) can implement it; the SQLite store does its work synchronously inside. Each
 * mutating method writes its audit event in the same transaction as the change. Stores keep
 * no clock: every time they record is passed in by the services, so both dialects agree and
 * tests control it. `test/store/contract.ts` is the behaviour both implementations share.
 * Over 300 lines because it is the whole contract in one place: rows, queries and methods.
 */
import type { IndexedKey, KeyLabels, KeyPolicy } from '../decide/policy.js';
import type { AlertKind } from './alerts/kinds.js';
import type { QuotaUse, StoredQuota } from '../decide/quota.js';
import type { Role } from './auth/permissions.js';
import type { RotationStep } from './rotation/machine.js';
import type { AuditAction } from './audit/actions.js';

export type KeyStatus = 'active' | 'inactive';

export type KeyRow = {
  id: string;
  name: string;
  hint: string;
  status: KeyStatus;
  createdAt: number;
  createdBy: string;
  deactivatedAt: number | null;
  /** Why it was deactivated, as the operator said (`leaked: FILE:LINE` from `keyward scan`); null when active. */
  deactivationReason: string | null;
  expiresAt: number | null;
  lastUsedAt: number | null;
  /** A canary key (docs/alerts.md): never valid, set at creation and never changed. */
  canary: boolean;
  /** The rotation whose cut-over deactivated the key, while it stays inactive (not in the API). */
  rotatedOutBy: string | null;
} & KeyFields;

/** An imported key as the stores insert it, with its name's uniqueness columns made once. */
export type ImportRow = KeyRow & { hash: string; nameFolded: string; nameSkeleton: string };

/** A key's description, labels and policy (docs/policy.md); null is "none" or "no restriction". */
export type KeyFields = KeyLabels & KeyPolicy & { description: string | null };

/** What `PATCH /v1/keys/{id}` may change; absent fields stay as they are. */
export type KeyEdit = Partial<Pick<KeyRow, 'name' | 'expiresAt'> & KeyFields>;

/** A key with its recent traffic, as listed. */
export type KeyView = KeyRow & { uses24h: number };

/**
 * The index's reads, synchronous: a store in this process answers them between two turns of
 * the event loop, so the daemon can serve while its index loads (verify/warm-index.ts).
 */
export interface LocalIndexReads {
  /** `indexedKeys`, each page read when it is asked for. */
  pages(): Iterable<IndexedKey[]>;
  /** The entry of the key with this hash, else of the deleted key's tombstone with it. */
  byHash(hash: string): IndexedKey | undefined;
  /** The entry of the key with this id, else of its tombstone. */
  byId(id: string): IndexedKey | undefined;
}

export type OperatorRow = {
  id: string;
  name: string;
  role: Role;
  createdAt: number;
  disabledAt: number | null;
};

export type IndexedOperator = OperatorRow & { tokenHash: string };

/** Who makes a change; recorded in the audit log. */
export type Actor = { id: string; name: string };

export type AuditInput = {
  action: AuditAction;
  targetType: 'key' | 'operator' | 'rotation' | 'webhook' | 'alert';
  targetId: string;
  targetName: string;
  detail?: Record<string, unknown>;
};

export type AuditEvent = {
  seq: number;
  id: string;
  at: number;
  operatorId: string;
  operatorName: string;
  action: string;
  targetType: string;
  targetId: string;
  targetName: string;
  detail: string;
  prevHash: string;
  hash: string;
  /** The home key that signed `hash`; null for an event from before events were signed. */
  signer: string | null;
};

/** Which audit events to list, newest first: filters the stores apply (see `auditWhere`). */
export type AuditQuery = {
  limit: number;
  /** Only events with a smaller seq (the last seq of the previous page). */
  before?: number;
  /** An action (`rotation.advance`) or a family of them (`rotation`). */
  action?: string;
  /** A key's id or name: its own events and those of the rotations it was part of. */
  key?: string;
  /** An operator's id or name: what it did. */
  operator?: string;
};

/** The secret that signs a home's events, and the public name of it recorded on each event (see `audit/chain.ts`). */
export type AuditKey = { readonly signer: string; readonly secret: Buffer };

/** Signs audit events and anchors the chain's head outside the store (see `audit/trail.ts`). */
export interface AuditSigner {
  readonly key: AuditKey;
  /** After a commit that appended events: the newest event in the store. */
  anchor(head: { seq: number; hash: string }): void;
}

/**
 * The orders a key list comes in, each in the direction that reads first (names A→Z, the
 * newest, most recently used and busiest first, active before inactive, owners A→Z); `reverse`
 * turns one round. See db/key-list.ts for the columns behind each.
 */
export const KEY_SORTS = ['name', 'newest', 'lastUsed', 'uses24h', 'status', 'owner'] as const;
export type KeySort = (typeof KEY_SORTS)[number];

/** A row's place in a sort: the values of the sort's key for that row (see db/key-list.ts). */
export type SortPosition = readonly (string | number)[];

export type KeyListQuery = {
  status?: KeyStatus;
  /** A case-insensitive substring of the name. */
  q?: string;
  /** A whole name, ignoring case (names are unique so): the key of that name, by its index. */
  name?: string;
  owner?: string;
  /** A case-insensitive substring of the name, owner or hint, or a key's exact id. */
  filter?: string;
  /** Absent: oldest first (`newest`, reversed), as lists were before sorts. */
  sort?: KeySort;
  reverse?: boolean;
  limit: number;
  /** Only rows after this position, in the list's order. */
  after?: SortPosition;
  /** Only rows before this position: the `limit` nearest to it, still in the list's order. */
  before?: SortPosition;
  /** The `limit` rows at the end of the list, still in the list's order. */
  fromEnd?: boolean;
  since24h: number;
};

/** How many keys a list would hold, by status (tombstones are not keys). */
export type KeyCounts = { active: number; inactive: number };

/** Usage accumulated in memory between flushes. */
export type UsageDelta = {
  buckets: { keyId: string; minute: number; ok: number; rejected: number }[];
  callers: { keyId: string; caller: string; at: number; ok: number; rejected: number }[];
  lastUsed: { keyId: string; at: number }[];
  /** Quota uses, settled against each key's stored quota (`settle` in src/decide/quota.ts). */
  quotas?: QuotaUse[];
};

export type UsageBucket = { minute: number; ok: number; rejected: number };
export type CallerRow = { caller: string; firstSeenAt: number; lastSeenAt: number; ok: number; rejected: number };

export type RotationRow = {
  id: string;
  oldKeyId: string;
  oldKeyName: string;
  newKeyId: string;
  newKeyName: string;
  step: RotationStep;
  stepStartedAt: number;
  createdAt: number;
  createdBy: string;
  /** How long double_check watches traffic after the cut-over. */
  watchMs: number;
  verifyNewAt: number | null;
  deactivateOldAt: number | null;
  deactivateAt: number | null;
  doubleCheckAt: number | null;
  deleteOldAt: number | null;
  endedAt: number | null;
  outcome: string | null;
  /** Both keys' verification counts over the kept usage (30 days) at the cut-over (`CutTotals` in rotation/patch.ts). */
  cutNewOk: number | null;
  cutNewRejected: number | null;
  cutOldOk: number | null;
  cutOldRejected: number | null;
};

/** A change to apply to one rotation and, in the same transaction, to its keys. */
export type RotationChange = {
  expectStep: RotationStep;
  /** When the change happens: recorded on the keys it touches and on its audit events. */
  at: number;
  set: Partial<Omit<RotationRow, 'id' | 'oldKeyId' | 'newKeyId' | 'createdAt' | 'createdBy' | 'watchMs'>>;
  oldKeyStatus?: KeyStatus;
  deleteOldKey?: boolean;
  /** After the old key is deleted, the new key takes this name (the old key's). */
  renameNewKey?: string;
  audit: AuditInput;
};

/**
 * What the store knows of a secret's hash (`POST /v1/keys/lookup`, for `keyward scan`): the key
 * or operator token it belongs to, or a deleted key's tombstone (`deleted`).
 */
export type HashMatch = {
  hash: string;
  kind: 'key' | 'operator';
  id: string;
  name: string;
  /** A key's status; an operator is `inactive` once disabled. */
  state: 'active' | 'inactive' | 'deleted';
  /** A canary key: found somewhere, it was planted there to be stolen. */
  canary?: true;
};

/** A deleted key as remembered for a year (docs/alerts.md), with who presented it since. */
export type TombstoneRow = {
  keyId: string;
  name: string;
  hint: string;
  deletedAt: number;
  deletedBy: string;
  rotationId: string | null;
  presentations: number;
  lastPresentedAt: number | null;
  lastCaller: string | null;
  lastIp: string | null;
};

/** An alert as stored (docs/alerts.md); `caller` is empty when none was given. */
export type AlertRow = {
  id: string;
  kind: AlertKind;
  keyId: string;
  keyName: string;
  caller: string;
  ip: string | null;
  count: number;
  firstSeenAt: number;
  lastSeenAt: number;
  detail: Record<string, unknown>;
  ackedAt: number | null;
  ackedBy: string | null;
};

/**
 * Sightings of one kind, key and caller, added up in memory between flushes (or one, made by a
 * write such as a leak report). `tombstone`: the key presented is a tombstone, whose
 * presentations are recorded on it too.
 */
export type AlertSighting = Pick<AlertRow, 'kind' | 'keyId' | 'keyName' | 'caller' | 'ip' | 'count' | 'firstSeenAt' | 'lastSeenAt' | 'detail'> & {
  tombstone?: boolean;
};

/** What recording sightings did to an alert: raised it (a new open alert) or counted on it. */
export type AlertChange = { alert: AlertRow; raised: boolean };

export type AlertListQuery = {
  openOnly: boolean;
  limit: number;
  after?: { lastSeenAt: number; id: string };
  /** A key's id, or its name as the alert recorded it. */
  key?: string;
};

/** A rotation that starts cut over (an emergency): the old key is deactivated in the same transaction. */
export type EmergencyCut = { reason: string };

/** A webhook as listed: never its secret. `keyId` names the key its secret is sealed under. */
export type WebhookRow = { id: string; url: string; events: string[]; keyId: string; createdAt: number; createdBy: string };

/** A webhook as created: its signing secret sealed (webhooks/sealer.ts). */
export type NewWebhook = WebhookRow & { sealedSecret: string };

/** One event's delivery to one webhook, as the delivery log shows it. */
export type DeliveryRow = {
  id: string;
  webhookId: string;
  eventId: string;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
};

/** A delivery a daemon has taken (leased) to attempt now, with what it needs to send it. */
export type ClaimedDelivery = Pick<DeliveryRow, 'id' | 'webhookId' | 'eventId' | 'type' | 'attempts' | 'createdAt'> & {
  url: string;
  sealedSecret: string;
  body: string;
};

/** How an attempt went; `nextAttemptAt` null after a failure means it is given up. */
export type DeliveryOutcome = {
  webhookId: string;
  at: number;
  delivered: boolean;
  status: number | null;
  error: string | null;
  nextAttemptAt: number | null;
};

/** A committed change to what the daemons keep in memory, as a shared store reports it. */
export type StoreChange =
  /** `key` is the key's state after the change; undefined when it was deleted. */
  | { type: 'key'; id: string; event: 'created' | 'imported' | 'updated' | 'deleted'; key: IndexedKey | undefined }
  /** A batch of keys imported (each also has its own `imported` change), from `first` to `last`. */
  | { type: 'import'; first: string; last: string; count: number }
  | { type: 'operator'; id: string; event: 'created' | 'updated' }
  | { type: 'rotation'; id: string; event: 'created' | 'updated' };

/** What a daemon does with the changes of a shared store: `changed` is called one at a time, in commit order. */
export type StoreFollower = {
  /**
   * The whole indexed state, read a page at a time: when following starts, after a reconnect,
   * and periodically. `settled(id)`: a change to that key reached `changed` after the snapshot
   * began (a periodic snapshot runs alongside the changes), so the snapshot's row, perhaps
   * older, must not replace what is there, nor its absence remove it.
   */
  reset(pages: AsyncIterable<readonly IndexedKey[]>, settled: (id: string) => boolean): Promise<void>;
  /** `own` is true for a change this daemon made (its services already published it). */
  changed(change: StoreChange, own: boolean): Promise<void>;
};

/**
 * What a store shared by several daemons adds. Each write returns only once its own change has
 * reached the follower, so every change committed before it has too.
 */
export interface SharedStore {
  /** Starts delivering changes; resolves after the follower's first `reset`. */
  follow(follower: StoreFollower): Promise<void>;
  /** False while changes cannot be followed (the database is unreachable): the daemon is degraded. */
  readonly live: boolean;
}

/** Whether the daemon is degraded: its store is shared and cannot be followed now. `/v1/health` and `/metrics` both say so. */
export function storeUnreachable(store: Pick<Store, 'shared'>): boolean {
  return store.shared !== undefined && !store.shared.live;
}

export interface Store {
  // keys
  listKeys(query: KeyListQuery): Promise<KeyView[]>;
  /** How many keys match the query's status, owner, q and filter (its paging and sort do not matter). */
  countKeys(query?: Omit<KeyListQuery, 'limit' | 'since24h'>): Promise<KeyCounts>;
  /** How many keys there are: cheaper than `countKeys` at a million keys (no status to read). */
  keyTotal(): Promise<number>;
  getKey(id: string): Promise<KeyRow | undefined>;
  getKeyByName(name: string): Promise<KeyRow | undefined>;
  uses24h(id: string, since: number): Promise<number>;
  createKey(key: KeyRow & { hash: string }, actor: Actor): Promise<KeyRow>;
  /**
   * Inserts a batch of imported keys (docs/import.md) in one transaction, all or none, with one
   * audit event (`key.import`). A name or hash a stored key already has refuses the batch, naming
   * the first such row by its index (`keys.<i>` in the issue path); a deleted key's hash takes
   * the place of its tombstone, as at create.
   */
  importKeys(rows: ImportRow[], actor: Actor, at: number): Promise<void>;
  /** `reason` is kept with a deactivation and audited; activating clears it. */
  setKeyStatus(id: string, status: KeyStatus, at: number, actor: Actor, reason?: string): Promise<KeyRow>;
  /** Deletes an inactive key and, in the same transaction, keeps its tombstone. */
  deleteKey(id: string, at: number, actor: Actor): Promise<KeyRow>;
  /**
   * Applies `edit` and audits the fields it really changed (`key.update`); nothing changed, no
   * event. Returns the key after the edit, with its hash for the verification index.
   */
  updateKey(id: string, edit: KeyEdit, at: number, actor: Actor): Promise<{ key: KeyRow & { hash: string }; changed: (keyof KeyEdit)[] }>;
  /** Every key as the verification index holds it, in pages, so no store holds them all at once in memory. */
  indexedKeys(): AsyncIterable<IndexedKey[]>;
  /** Present on a store this process reads synchronously (SQLite): the index loads from it in the background. */
  readonly local?: LocalIndexReads;
  /** The keys, and operator tokens when `operators` is set, whose hash is among `hashes`. */
  findByHashes(hashes: string[], operators: boolean): Promise<HashMatch[]>;
  /** The stored quotas of these keys, for a daemon sharing the store to see what the others used. */
  quotas(keyIds: string[]): Promise<(StoredQuota & { keyId: string })[]>;

  // operators
  countOperators(): Promise<number>;
  listOperators(): Promise<OperatorRow[]>;
  indexedOperators(): Promise<IndexedOperator[]>;
  createOperator(op: OperatorRow & { tokenHash: string }, actor: Actor | null): Promise<OperatorRow>;
  disableOperator(id: string, at: number, actor: Actor): Promise<OperatorRow>;

  // audit
  listAudit(query: AuditQuery): Promise<AuditEvent[]>;
  auditChain(): AsyncIterable<AuditEvent>;

  // usage
  applyUsage(delta: UsageDelta, pruneBefore: number): Promise<void>;
  usageBuckets(keyId: string, fromMinute: number): Promise<UsageBucket[]>;
  callers(keyId: string): Promise<CallerRow[]>;

  // rotations
  /** With `emergency`, the old key is deactivated (cut over) in the same transaction. */
  createRotation(rotation: RotationRow, newKey: KeyRow & { hash: string }, actor: Actor, emergency?: EmergencyCut): Promise<RotationRow>;
  getRotation(id: string): Promise<RotationRow | undefined>;
  listRotations(openOnly: boolean): Promise<RotationRow[]>;
  changeRotation(id: string, change: RotationChange, actor: Actor): Promise<RotationRow>;

  // webhooks: every audited write also queues its event for the webhooks that want it
  createWebhook(hook: NewWebhook, actor: Actor): Promise<WebhookRow>;
  listWebhooks(): Promise<WebhookRow[]>;
  deleteWebhook(id: string, at: number, actor: Actor): Promise<WebhookRow>;
  /** The newest deliveries of a webhook first. */
  listDeliveries(webhookId: string, limit: number): Promise<DeliveryRow[]>;
  /**
   * Takes the due delivery longest waiting of a webhook sealed under `keyId` and not in `busy`,
   * leasing it until `leaseUntil`: no other daemon takes it before then (PostgreSQL: `for update
   * skip locked`). `busy` are the webhooks the caller has an attempt in flight for.
   */
  claimDelivery(now: number, leaseUntil: number, keyId: string, busy: readonly string[]): Promise<ClaimedDelivery | undefined>;
  /** Records an attempt and ends the lease; a success also makes the webhook's waiting deliveries due now. */
  finishDelivery(id: string, outcome: DeliveryOutcome): Promise<void>;
  /**
   * Drops deliveries older than `before` (the log keeps 30 days), pending ones too: the retry
   * window (a day) ends long before, so one still pending is one no daemon could sign for.
   */
  pruneDeliveries(before: number): Promise<void>;

  // tombstones and alerts (docs/alerts.md)
  /** Tombstones, most recently deleted first. */
  listTombstones(limit: number, after?: { deletedAt: number; keyId: string }): Promise<TombstoneRow[]>;
  /** Drops the tombstones of keys deleted before `before`, and acknowledged alerts last seen before it; returns the keys' ids. */
  pruneTombstones(before: number): Promise<string[]>;
  /**
   * Adds sightings to their alerts in one transaction: counted on the open alert of their
   * kind, key and caller, or raising a new one (whose webhook deliveries are queued in the same
   * transaction), as `REPEAT` says; a tombstone's presentations are recorded on it too.
   */
  recordSightings(sightings: AlertSighting[], at: number): Promise<AlertChange[]>;
  /** Alerts, the most recently seen first. */
  listAlerts(query: AlertListQuery): Promise<AlertRow[]>;
  /** Alerts not acknowledged yet, by kind (a kind with none is left out). */
  countOpenAlerts(): Promise<Partial<Record<AlertKind, number>>>;
  /** The open alert of a kind, key and caller, if there is one. */
  openAlert(kind: AlertKind, keyId: string, caller: string): Promise<AlertRow | undefined>;
  /** Acknowledges an alert, audited (`alert.ack`); an acknowledged one is answered as it is (`acknowledged` false). */
  ackAlert(id: string, at: number, actor: Actor): Promise<{ alert: AlertRow; acknowledged: boolean }>;
  /** Active keys, not canaries, that expire after `from` and at or before `to`. */
  keysExpiring(from: number, to: number): Promise<Pick<KeyRow, 'id' | 'name' | 'expiresAt'>[]>;

  close(): void | Promise<void>;
  /** Present when several daemons share the store (PostgreSQL). */
  readonly shared?: SharedStore;
}
