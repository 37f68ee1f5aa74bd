/**
 * Keys for the import benchmarks, made fast: by `sha256` (random bytes' hash, what a migrated
 * table holds) or by `secret` (a foreign-format secret the daemon hashes), as NDJSON lines, and
 * sent to `POST /v1/keys/import` in batches of one call each, bodies built before the clock
 * starts so the figure is the daemon's.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { IMPORT_BATCH } from '../../src/daemon/limits.js';
import type { ImportedJson } from '../../src/daemon/keys/import-schemas.js';

export type ImportBy = 'sha256' | 'secret';

/** The `n`th key of a benchmark: unique name, and a secret or hash of its own. */
export function benchItem(n: number, by: ImportBy, prefix = 'imported'): { name: string; sha256?: string; secret?: string } {
  const name = `${prefix}-${n}`;
  return by === 'sha256' ? { name, sha256: randomBytes(32).toString('hex') } : { name, secret: `sk_bench_${randomBytes(24).toString('base64url')}` };
}

/** Writes `total` keys as NDJSON to `file`, a batch of lines at a time. */
export async function writeNdjson(file: string, total: number, by: ImportBy, prefix?: string): Promise<void> {
  const out = createWriteStream(file);
  for (let start = 0; start < total; start += IMPORT_BATCH) {
    const lines: string[] = [];
    for (let n = start; n < Math.min(start + IMPORT_BATCH, total); n++) lines.push(JSON.stringify(benchItem(n, by, prefix)));
    if (!out.write(lines.join('\n') + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Request bodies of `IMPORT_BATCH` keys each, for `importBodies`. */
export function importBodies(items: readonly unknown[]): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < items.length; i += IMPORT_BATCH) bodies.push(JSON.stringify({ keys: items.slice(i, i + IMPORT_BATCH) }));
  return bodies;
}

/** Sends each body to the import route in turn and answers the new keys' ids and names; throws on the first refusal. */
export async function postImports(url: string, token: string, bodies: readonly string[]): Promise<ImportedJson['keys']> {
  const imported: ImportedJson['keys'] = [];
  for (const body of bodies) {
    const res = await fetch(`${url}/v1/keys/import`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    if (res.status !== 201) throw new Error(`import answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    imported.push(...((await res.json()) as ImportedJson).keys);
  }
  return imported;
}
