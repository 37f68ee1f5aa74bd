/**
 * The audit log's hash chain, without I/O: both stores build events here. Each event's hash is
 * the SHA-256 of the previous event's hash and the event's own fields, so editing, inserting
 * or removing a row breaks every hash after it.
 */
import { createHash } from 'node:crypto';
import { newId } from '../secrets/format.js';
import type { Actor, AuditEvent, AuditInput } from '../store.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Who the audit log names for a change the daemon makes by itself (bootstrap). */
const SYSTEM_ACTOR: Actor = { id: 'system', name: 'system' };

type Hashed = Omit<AuditEvent, 'seq' | 'hash'>;

/** The event that follows the one hashed `prevHash` (or the genesis), with its own hash. */
export function nextEvent(actor: Actor | null, input: AuditInput, at: number, prevHash: string | undefined): Omit<AuditEvent, 'seq'> {
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
  };
  return { ...event, hash: hashEvent(event) };
}

export function hashEvent(event: Hashed): string {
  const fields = [
    event.prevHash,
    event.id,
    String(event.at),
    event.operatorId,
    event.operatorName,
    event.action,
    event.targetType,
    event.targetId,
    event.targetName,
    event.detail,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

export type ChainReport = { ok: true; events: number } | { ok: false; events: number; brokenAt: AuditEvent; reason: string };

/** Walks the chain oldest first and names the first event that does not fit. */
export async function verifyChain(events: AsyncIterable<AuditEvent>): Promise<ChainReport> {
  let prev = GENESIS_HASH;
  let count = 0;
  for await (const event of events) {
    count++;
    if (event.prevHash !== prev) {
      return { ok: false, events: count, brokenAt: event, reason: 'its previous-hash does not match the event before it (a row was removed or inserted)' };
    }
    if (hashEvent(event) !== event.hash) {
      return { ok: false, events: count, brokenAt: event, reason: 'its content does not match its hash (the row was edited)' };
    }
    prev = event.hash;
  }
  return { ok: true, events: count };
}
