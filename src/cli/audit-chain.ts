/**
 * `keyward audit --verify`: fetch the whole audit log over the API (newest first, paged by
 * `before`) and run the hash-chain check on it oldest first. The check itself is the daemon's
 * pure `verifyChain`, so both sides agree on what a valid chain is.
 */
import type { AuditEventJson, KeywardClient } from '../client/client.js';
import { verifyChain, type ChainReport } from '../daemon/audit/chain.js';
import type { AuditEvent } from '../daemon/store.js';

/** The stored form of an event: `at` in milliseconds, `detail` as the JSON text that was hashed. */
export function storedEvent(e: AuditEventJson): AuditEvent {
  return { ...e, at: Date.parse(e.at), detail: JSON.stringify(e.detail) };
}

export async function checkAuditChain(client: KeywardClient): Promise<ChainReport> {
  const oldestFirst = (await client.auditUpTo(Infinity)).reverse();
  async function* events() {
    for (const e of oldestFirst) yield storedEvent(e);
  }
  return verifyChain(events());
}
