/** Splitting a usage delta into store writes of a bounded number of keys, or into parts of a bounded size. Pure. */
import type { UsageDelta } from '../store.js';

type KeyedItem = { keyId: string };

/** A delta with the fields `delta` has, each empty. */
function emptyLike(delta: UsageDelta): UsageDelta {
  return { buckets: [], callers: [], lastUsed: [], ...('quotas' in delta && { quotas: [] }) };
}

/**
 * `delta` as deltas of at most `maxKeys` keys each, in order of first appearance. All of a
 * key's counts (buckets, callers, last use, whatever a delta carries per key) stay in one
 * chunk, so a write that fails leaves each key either fully counted or fully pending.
 */
export function splitByKey(delta: UsageDelta, maxKeys: number): UsageDelta[] {
  const fields = Object.keys(delta) as (keyof UsageDelta)[];
  const chunks: UsageDelta[] = [];
  const chunkOfKey = new Map<string, UsageDelta>();
  let current: UsageDelta | undefined;
  let keysInCurrent = 0;
  for (const field of fields) {
    for (const item of delta[field] ?? []) {
      let chunk = chunkOfKey.get(item.keyId);
      if (!chunk) {
        if (!current || keysInCurrent === maxKeys) {
          current = emptyLike(delta);
          chunks.push(current);
          keysInCurrent = 0;
        }
        chunk = current;
        chunkOfKey.set(item.keyId, chunk);
        keysInCurrent++;
      }
      (chunk[field] as KeyedItem[]).push(item);
    }
  }
  return chunks;
}

/**
 * `delta` as deltas of at most `maxBytes` of JSON each (an item larger than that alone in
 * one), in order. A key's counts may land in several parts: each part is counted once, whole,
 * or sent again. What bounds a part by keys alone cannot bound: a key with a thousand callers
 * of 128 characters is some 200 KB by itself.
 */
export function splitBySize(delta: UsageDelta, maxBytes: number): UsageDelta[] {
  const fields = Object.keys(delta) as (keyof UsageDelta)[];
  const parts = [emptyLike(delta)];
  let bytes = 0;
  for (const field of fields) {
    for (const item of delta[field] ?? []) {
      const size = Buffer.byteLength(JSON.stringify(item)) + 1;
      if (bytes > 0 && bytes + size > maxBytes) {
        parts.push(emptyLike(delta));
        bytes = 0;
      }
      (parts[parts.length - 1]![field] as KeyedItem[]).push(item);
      bytes += size;
    }
  }
  return parts;
}
