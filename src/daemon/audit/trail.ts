/**
 * The home's half of the audit chain (see `chain.ts`): `audit.key`, the secret that signs
 * events (32 random bytes, 0600, created at first start and never rewritten), and
 * `audit.checkpoint`, the newest event this daemon saw committed, signed with that key and
 * rewritten (temp + rename) after each audited write. Neither is in the store, so whoever can
 * write the store but not the home can neither re-sign an edited chain nor hide a cut tail.
 *
 * The checkpoint is written off the event loop: its fsync took ~1.4 ms of every audited write
 * (docs/performance.md), during which no verify was answered, and it now runs beside the wait
 * for the replicas' acks. The daemon still answers a write only once it is on disk: the app
 * waits for `settled()` before it answers a request that anchored a new head.
 */
import { randomBytes } from 'node:crypto';
import { publishPrivate, readPrivate, writePrivateAsync } from '../../private-files.js';
import type { AuditSigner, Store } from '../store.js';
import type { AuditKey } from '../store.js';
import { checkpointValid, signCheckpoint, signerOf, verifyChain, type ChainReport, type Checkpoint } from './chain.js';

export type AuditFiles = { auditKey: string; auditCheckpoint: string };

const KEY_TEXT = /^([0-9a-f]{64})\n?$/;

/** The home's audit key, or undefined when it has none yet. */
export function readAuditKey(file: string): AuditKey | undefined {
  const text = readPrivate(file);
  if (text === undefined) return undefined;
  const hex = KEY_TEXT.exec(text)?.[1];
  if (!hex) throw new Error(`${file} is damaged (it should hold 64 hexadecimal digits); the audit chain cannot be signed or checked without it`);
  const secret = Buffer.from(hex, 'hex');
  return { signer: signerOf(secret), secret };
}

/** The home's audit key, created (whole, or not at all) if the home has none. */
function loadAuditKey(file: string): { key: AuditKey; created: boolean } {
  const created = publishPrivate(file, randomBytes(32).toString('hex') + '\n');
  return { key: readAuditKey(file)!, created };
}

/** The checkpoint in the home, as `verifyChain` takes it. */
export function readCheckpoint(file: string, key: AuditKey): Checkpoint | 'missing' | 'forged' {
  const text = readPrivate(file);
  if (text === undefined) return 'missing';
  try {
    const cp = JSON.parse(text) as Checkpoint;
    return typeof cp.seq === 'number' && typeof cp.hash === 'string' && checkpointValid(key, cp) ? cp : 'forged';
  } catch {
    return 'forged';
  }
}

export class AuditTrail implements AuditSigner {
  /** The newest head asked for, written or not: the checkpoint never goes back. */
  private highest: number;
  /** The newest head asked for and not yet being written; at most one write runs at a time. */
  private wanted: { seq: number; hash: string } | undefined;
  private writing: Promise<void> | undefined;
  /** Heads asked for so far: lets a caller tell whether what it did anchored one. */
  private asked = 0;

  private constructor(
    private readonly files: AuditFiles,
    readonly key: AuditKey,
    private readonly log: (line: string) => void,
  ) {
    const cp = readCheckpoint(files.auditCheckpoint, key);
    this.highest = typeof cp === 'object' ? cp.seq : 0;
  }

  static open(files: AuditFiles, log: (line: string) => void): AuditTrail {
    const { key, created } = loadAuditKey(files.auditKey);
    if (created) log(`created the audit key ${files.auditKey}: it signs the audit log; keep it with the home, apart from store backups`);
    return new AuditTrail(files, key, log);
  }

  /**
   * Anchors the store's current head the first time this home sees the store (a new home, or
   * one from before checkpoints): from then on, removing events from the end is noticed.
   */
  async start(store: Pick<Store, 'listAudit'>): Promise<void> {
    if (readCheckpoint(this.files.auditCheckpoint, this.key) !== 'missing') return;
    const [head] = await store.listAudit({ limit: 1 });
    if (head) this.anchor(head);
    await this.settled();
  }

  anchor(head: { seq: number; hash: string }): void {
    // On a shared store two writes of this daemon may report their heads out of order.
    if (head.seq <= this.highest) return;
    this.highest = head.seq;
    this.asked++;
    this.wanted = head;
    this.writing ??= this.write();
  }

  /** Writes the newest head wanted until none is left; a head wanted meanwhile replaces older ones. */
  private async write(): Promise<void> {
    for (let head = this.wanted; head; head = this.wanted) {
      this.wanted = undefined;
      try {
        await writePrivateAsync(this.files.auditCheckpoint, JSON.stringify(signCheckpoint(this.key, head)) + '\n');
      } catch (err) {
        // The event is committed either way; a checkpoint that lags only anchors less.
        this.log(`could not update ${this.files.auditCheckpoint}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.writing = undefined;
  }

  /** How many heads have been anchored so far (compare before and after a request). */
  get anchors(): number {
    return this.asked;
  }

  /** Resolves once every head anchored so far is on disk (or its write failed and was logged). */
  settled(): Promise<void> {
    return this.writing ?? Promise.resolve();
  }

  /** `keyward audit --verify`: the whole chain against this home's key and checkpoint. */
  async verify(store: Pick<Store, 'auditChain' | 'shared'>): Promise<ChainReport> {
    await this.settled();
    return verifyChain(store.auditChain(), {
      key: this.key,
      checkpoint: readCheckpoint(this.files.auditCheckpoint, this.key),
      othersMaySign: store.shared !== undefined,
    });
  }
}
