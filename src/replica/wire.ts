/**
 * What travels on `GET /v1/replica` (docs/replicas.md), shared by the daemon's replica hub and
 * `keyward/verifier`: a key as its hash, status, expiry, policy and marks (canary, tombstone,
 * rotated out: docs/alerts.md) — never a secret — and the stream's messages. A snapshot goes in chunks of columns (every hash in one base64 string,
 * the rare fields as sparse lists), so a million keys cost about 100 bytes each on the wire
 * and a handful of large strings to parse instead of a million small objects.
 */
import { compilePolicy, type EntryPolicy, type IndexedKey, type KeyLabels, type KeyMarks, type KeyPolicy } from '../decide/policy.js';

/** A key's policy and labels as the API writes them (address ranges as CIDR text). */
export type WirePolicy = KeyPolicy & KeyLabels;

/** A key as a replica needs it to decide. */
export type WireKey = Omit<IndexedKey, 'policy'> & { policy?: WirePolicy };

/** The first message of a stream. */
export type Hello = {
  replicaId: string;
  /** Names this daemon's run of `seq`s: a resume token from another run means a new snapshot. */
  epoch: string;
  /** The change the copy starts at: the snapshot's, or the resume point. */
  seq: number;
  leaseMs: number;
  heartbeatMs: number;
  /** How often the replica acks at least. */
  ackMs: number;
  /** Keys the snapshot will carry; 0 when resuming. */
  keys: number;
  resumed: boolean;
  /**
   * The changes that take access away carry `narrows: true`: only those need an ack at once
   * (a write waits for it). Absent from a daemon that does not mark them: ack every change at once.
   */
  marksNarrowing?: true;
};

/** One chunk of the snapshot: column `i` of each list is one key. */
export type SnapshotChunk = {
  /** The keys' SHA-256 digests back to back, base64. */
  hashes: string;
  ids: string[];
  names: string[];
  /** Positions of the inactive keys (the rest are active). */
  inactive: number[];
  /** [position, ms] of the keys that expire. */
  expiresAt: [number, number][];
  /** [position, policy] of the keys with policy or labels. */
  policies: [number, WirePolicy][];
  /** [position, marks] of the canaries, tombstones and keys a rotation cut over. */
  marks: [number, KeyMarks][];
};

/**
 * One change, in `seq` order: a key's whole new state, or its removal; `narrows` when it takes
 * access away (a narrowing write is waiting for every replica's ack of it).
 */
export type Change = ({ seq: number; key: WireKey } | { seq: number; removed: string }) & { narrows?: true };

/** The stream's messages by event name. */
export type ReplicaMessages = {
  hello: Hello;
  snapshot: SnapshotChunk;
  /** The copy is complete as of `seq` (the snapshot, or the resumed changes, are all sent). */
  ready: { seq: number };
  change: Change;
  heartbeat: { seq: number };
};

const DIGEST_BYTES = 32;

function policyToWire(policy: EntryPolicy): WirePolicy {
  const { allowedIps, ...rest } = policy;
  return { ...rest, allowedIps: allowedIps && [...allowedIps.cidrs] };
}

export function toWire(entry: IndexedKey): WireKey {
  const { policy, ...core } = entry;
  return policy ? { ...core, policy: policyToWire(policy) } : core;
}

export function fromWire(key: WireKey): IndexedKey {
  const { policy, ...core } = key;
  const compiled = policy && compilePolicy(policy);
  return compiled ? { ...core, policy: compiled } : core;
}

export function encodeChunk(entries: readonly IndexedKey[]): SnapshotChunk {
  const digests = Buffer.allocUnsafe(entries.length * DIGEST_BYTES);
  const chunk: SnapshotChunk = { hashes: '', ids: [], names: [], inactive: [], expiresAt: [], policies: [], marks: [] };
  entries.forEach((entry, i) => {
    digests.write(entry.hash, i * DIGEST_BYTES, DIGEST_BYTES, 'hex');
    chunk.ids.push(entry.id);
    chunk.names.push(entry.name);
    if (entry.status !== 'active') chunk.inactive.push(i);
    if (entry.expiresAt !== null) chunk.expiresAt.push([i, entry.expiresAt]);
    if (entry.policy) chunk.policies.push([i, policyToWire(entry.policy)]);
    const marks = marksOf(entry);
    if (marks) chunk.marks.push([i, marks]);
  });
  chunk.hashes = digests.toString('base64');
  return chunk;
}

export function decodeChunk(chunk: SnapshotChunk): IndexedKey[] {
  const digests = Buffer.from(chunk.hashes, 'base64');
  if (digests.length !== chunk.ids.length * DIGEST_BYTES || chunk.names.length !== chunk.ids.length) {
    throw new TypeError(`a snapshot chunk of ${chunk.ids.length} keys carries ${digests.length / DIGEST_BYTES} hashes and ${chunk.names.length} names`);
  }
  const entries: IndexedKey[] = chunk.ids.map((id, i) => ({
    id,
    name: chunk.names[i]!,
    hash: digests.toString('hex', i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES),
    status: 'active',
    expiresAt: null,
  }));
  for (const i of chunk.inactive) entries[i]!.status = 'inactive';
  for (const [i, at] of chunk.expiresAt) entries[i]!.expiresAt = at;
  for (const [i, policy] of chunk.policies) {
    const compiled = compilePolicy(policy);
    if (compiled) entries[i]!.policy = compiled;
  }
  for (const [i, marks] of chunk.marks) Object.assign(entries[i]!, marksOf(marks));
  return entries;
}

/** The marks `entry` carries, only those it has; undefined for an ordinary key. */
function marksOf({ canary, deletedAt, rotatedOutBy }: KeyMarks): KeyMarks | undefined {
  if (!canary && deletedAt === undefined && rotatedOutBy === undefined) return undefined;
  return { ...(canary && { canary }), ...(deletedAt !== undefined && { deletedAt }), ...(rotatedOutBy !== undefined && { rotatedOutBy }) };
}

/** The token a replica sends to resume its copy: the daemon run and the last change it applied. */
export function resumeToken(epoch: string, seq: number): string {
  return `${epoch}.${seq}`;
}

export function parseResumeToken(token: string): { epoch: string; seq: number } | undefined {
  const match = /^([\w-]{1,64})\.(\d{1,15})$/.exec(token);
  return match ? { epoch: match[1]!, seq: Number(match[2]) } : undefined;
}
