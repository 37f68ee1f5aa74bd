/**
 * Reads a home's SQLite file directly, read-only, beside or instead of the daemon: the
 * integrity check after a kill, the audit chain (with the home's key and checkpoint), and a snapshot of everything a request could
 * change, to prove that a refused request changed nothing.
 */
import Database from 'better-sqlite3';
import { verifyChain } from '../../../src/daemon/audit/chain.js';
import { readAuditKey, readCheckpoint } from '../../../src/daemon/audit/trail.js';
import type { AuditEvent } from '../../../src/daemon/store.js';
import { homeFiles } from '../../../src/home.js';

const AUDIT_COLUMNS = `seq, id, at, operator_id as operatorId, operator_name as operatorName, action,
  target_type as targetType, target_id as targetId, target_name as targetName, detail,
  prev_hash as prevHash, hash, signer`;

/**
 * The tables a key, operator or rotation change writes; usage tables are left out. The audit
 * log is append-only and hash-chained, so its length and head stand for all of it (`problems()`
 * checks the whole chain); reading every event each time made a long fuzz quadratic.
 */
const SNAPSHOT_QUERIES = [
  'select * from keys order by id',
  'select * from operators order by id',
  'select * from rotations order by id',
  'select (select count(*) from audit_events) as events, seq, hash from audit_events order by seq desc limit 1',
];

export type StoreFile = {
  /** Everything but usage, as one comparable string. */
  snapshot(): string;
  keys(): { id: string; name: string; status: string; hash: string }[];
  /** The stored name of the key or operator `id`. */
  nameOf(id: string): string | undefined;
  audit(): AuditEvent[];
  /** `PRAGMA integrity_check` and `foreign_key_check`, and the audit chain: problems, or []. */
  problems(): Promise<string[]>;
  close(): void;
};

export function openStoreFile(home: string): StoreFile {
  const db = new Database(homeFiles(home).db, { readonly: true, fileMustExist: true });
  const snapshots = SNAPSHOT_QUERIES.map((q) => db.prepare(q));
  // SQLite changes `data_version` for this connection whenever another one commits: while it
  // stands, the file holds what the last snapshot read, and reading it all again (most of a
  // long fuzz's time) would only prove that once more.
  let last: { version: number; snapshot: string } | undefined;
  const snapshot = () =>
    db.transaction(() => {
      const version = db.pragma('data_version', { simple: true }) as number;
      if (last?.version !== version) last = { version, snapshot: JSON.stringify(snapshots.map((s) => s.all())) };
      return last.snapshot;
    })();
  const audit = () => db.prepare(`select ${AUDIT_COLUMNS} from audit_events order by seq`).all() as AuditEvent[];
  return {
    snapshot,
    keys: () => db.prepare('select id, name, status, hash from keys order by id').all() as ReturnType<StoreFile['keys']>,
    audit,
    nameOf: (id) =>
      (db.prepare('select name from keys where id = ? union all select name from operators where id = ?').get(id, id) as { name: string } | undefined)?.name,
    async problems() {
      const out: string[] = [];
      const integrity = db.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') out.push(`integrity_check: ${String(integrity)}`);
      const orphans = db.pragma('foreign_key_check') as unknown[];
      if (orphans.length) out.push(`foreign_key_check: ${JSON.stringify(orphans)}`);
      const files = homeFiles(home);
      const key = readAuditKey(files.auditKey)!;
      const chain = await verifyChain(
        (async function* () {
          yield* audit();
        })(),
        { key, checkpoint: readCheckpoint(files.auditCheckpoint, key), othersMaySign: false },
      );
      if (!chain.ok) out.push(`audit chain broken at seq ${chain.brokenAt?.seq ?? '(end)'}: ${chain.reason}`);
      return out;
    },
    close: () => db.close(),
  };
}
