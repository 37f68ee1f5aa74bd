/**
 * The audit log's chain, without I/O: both stores build events here and `--verify` checks
 * them here. Each event's `hash` is an HMAC-SHA256, keyed by a secret only the daemon's home
 * holds, of the previous event's hash and the event's own fields: editing, inserting or
 * removing a row breaks every link after it, and someone who can write the store but not read
 * the home cannot recompute the chain. A checkpoint outside the store (the head as last
 * written, signed the same way) catches what a chain cannot: events removed from its end.
 *
 * Events written before events were signed keep their plain SHA-256 (`signer` null); they may
 * only come first, and the first signed event (or the checkpoint) vouches for all of them.
 */
import { createHash, createHmac } from 'node:crypto';
import { newId } from '../secrets/format.js';
import type { Actor, AuditEvent, AuditInput, AuditKey } from '../store.js';

export const GENESIS_HASH = '0'.repeat(64);

/** The head of the chain as a daemon last saw it, signed with its key. */
export type Checkpoint = { seq: number; hash: string; signer: string; mac: string };

/** Who the audit log names for a change the daemon makes by itself (bootstrap). */
const SYSTEM_ACTOR: Actor = { id: 'system', name: 'system' };

type Hashed = Omit<AuditEvent, 'seq' | 'hash'>;

function hmac(secret: Buffer, parts: readonly unknown[]): string {
  return createHmac('sha256', secret).update(JSON.stringify(parts)).digest('hex');
}

/** The public name of a key: derived from it, revealing nothing of it. */
export function signerOf(secret: Buffer): string {
  return hmac(secret, ['keyward audit signer']).slice(0, 16);
}

function fields(event: Hashed): string[] {
  return [event.prevHash, event.id, String(event.at), event.operatorId, event.operatorName, event.action, event.targetType, event.targetId, event.targetName, event.detail];
}

/** The plain SHA-256 of an event written before events were signed. */
export function legacyHash(event: Hashed): string {
  return createHash('sha256').update(JSON.stringify(fields(event))).digest('hex');
}

function signature(secret: Buffer, event: Hashed): string {
  return hmac(secret, ['keyward audit event', event.signer, ...fields(event)]);
}

/** The event that follows the one hashed `prevHash` (or the genesis), signed with `key`. */
export function nextEvent(key: AuditKey, actor: Actor | null, input: AuditInput, at: number, prevHash: string | undefined): Omit<AuditEvent, 'seq'> {
  const who = actor ?? SYSTEM_ACTOR;
  const event: Hashed = {
    id: newId('evt_'),
    at,
    operatorId: who.id,
    operatorName: who.name,
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId,
    targetName: input.targetName,
    detail: JSON.stringify(input.detail ?? {}),
    prevHash: prevHash ?? GENESIS_HASH,
    signer: key.signer,
  };
  return { ...event, hash: signature(key.secret, event) };
}

function checkpointMac(secret: Buffer, seq: number, hash: string): string {
  return hmac(secret, ['keyward audit checkpoint', seq, hash]);
}

export function signCheckpoint(key: AuditKey, head: { seq: number; hash: string }): Checkpoint {
  return { seq: head.seq, hash: head.hash, signer: key.signer, mac: checkpointMac(key.secret, head.seq, head.hash) };
}

export function checkpointValid(key: AuditKey, cp: Checkpoint): boolean {
  return cp.signer === key.signer && cp.mac === checkpointMac(key.secret, cp.seq, cp.hash);
}

export type ChainCounts = {
  events: number;
  /** Checked against this home's key. */
  signed: number;
  /** From before events were signed: vouched for by the first signed event or the checkpoint. */
  unsigned: number;
  /** Signed by another daemon sharing the store (PostgreSQL): linked, but not checkable here. */
  otherSigners: number;
};

export type ChainReport =
  | ({ ok: true; checkpointSeq: number | null } & ChainCounts)
  | ({ ok: false; brokenAt: AuditEvent | null; reason: string } & ChainCounts);

export type VerifyOptions = {
  key: AuditKey;
  /** The home's checkpoint; `missing` when there is none although events exist, `forged` when its signature fails. */
  checkpoint: Checkpoint | 'missing' | 'forged';
  /** True on a store shared by several daemons, each signing with its own home's key. */
  othersMaySign: boolean;
};

/** Why `event` does not fit after `prev` (having seen signed events already, or not). */
function misfit(event: AuditEvent, prev: string, signedBefore: boolean, options: VerifyOptions): string | undefined {
  if (event.prevHash !== prev) return 'its previous-hash does not match the event before it (an event was removed, inserted or rewritten)';
  if (event.signer === null) {
    if (signedBefore) return 'it is unsigned although signed events come before it (the log was rewritten)';
    return legacyHash(event) === event.hash ? undefined : 'its content does not match its hash (the event was edited)';
  }
  if (event.signer === options.key.signer) {
    return signature(options.key.secret, event) === event.hash ? undefined : "its content does not match its signature (the event was edited, or its signature forged)";
  }
  if (!options.othersMaySign) {
    return "it is signed by a key this home does not hold (it was forged, or the store came from another home without that home's audit.key)";
  }
  return undefined;
}

/** Walks the chain oldest first and names the first event that does not fit, or a missing tail. */
export async function verifyChain(events: AsyncIterable<AuditEvent>, options: VerifyOptions): Promise<ChainReport> {
  const counts: ChainCounts = { events: 0, signed: 0, unsigned: 0, otherSigners: 0 };
  const { checkpoint } = options;
  const anchor = typeof checkpoint === 'object' ? checkpoint : undefined;
  let prev = GENESIS_HASH;
  let last: AuditEvent | null = null;
  let anchored = false;
  for await (const event of events) {
    counts.events++;
    const reason = misfit(event, prev, counts.signed + counts.otherSigners > 0, options);
    if (reason) return { ok: false, brokenAt: event, reason, ...counts };
    if (event.signer === null) counts.unsigned++;
    else if (event.signer === options.key.signer) counts.signed++;
    else counts.otherSigners++;
    if (anchor && event.seq === anchor.seq) {
      if (event.hash !== anchor.hash) return { ok: false, brokenAt: event, reason: 'it is not the event the checkpoint names (the log was rewritten)', ...counts };
      anchored = true;
    }
    prev = event.hash;
    last = event;
  }
  if (checkpoint === 'forged') return { ok: false, brokenAt: null, reason: "the checkpoint file is not signed by this home's audit key (it was edited)", ...counts };
  if (checkpoint === 'missing' && last) return { ok: false, brokenAt: null, reason: 'the checkpoint file (audit.checkpoint) is missing from the home', ...counts };
  if (anchor && !anchored) {
    const reason = last && last.seq > anchor.seq ? `event ${anchor.seq}, which the checkpoint names, is missing` : `the log ends at event ${last?.seq ?? 0} but the checkpoint names event ${anchor.seq}: events were removed from its end`;
    return { ok: false, brokenAt: null, reason, ...counts };
  }
  return { ok: true, checkpointSeq: anchor?.seq ?? null, ...counts };
}
