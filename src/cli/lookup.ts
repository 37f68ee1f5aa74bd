/**
 * Commands address keys, operators and rotations by id or by name. An id is tried first;
 * a name matches exactly, ignoring case (as the daemon's uniqueness rule does).
 */
import { ApiError, type KeyJson, type KeywardClient, type OperatorJson, type RotationJson } from '../client/client.js';
import { refused } from './exit.js';
import { quoted } from './output.js';

/** The daemon trims names and folds case for uniqueness; a reference is compared the same way. */
export function sameName(name: string, ref: string): boolean {
  return name.normalize('NFC').toLowerCase() === ref.normalize('NFC').trim().toLowerCase();
}

const KEY_ID = /^key_[0-9A-Za-z]+$/;
const OPERATOR_ID = /^op_[0-9A-Za-z]+$/;
const ROTATION_ID = /^rot_[0-9A-Za-z]+$/;

async function byId<T>(load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** A key by its whole name, or undefined: the daemon finds it by its unique index. */
async function keyNamed(client: KeywardClient, ref: string): Promise<KeyJson | undefined> {
  // A daemon from before `name=` would answer its first page of every key: checked here again.
  const { keys } = ref.length <= 200 ? await client.listKeys({ name: ref, limit: 1 }) : { keys: [] };
  return keys.find((k) => sameName(k.name, ref));
}

export async function findKey(client: KeywardClient, ref: string): Promise<KeyJson> {
  if (KEY_ID.test(ref)) {
    const found = await byId(async () => (await client.getKey(ref)).key);
    if (found) return found;
  }
  // The daemon finds a whole name by its unique index (a substring would page through every
  // key containing it: most of a million named k1…k999999 for "k1").
  const key = await keyNamed(client, ref);
  if (!key) throw refused(`no key with id or name ${quoted(ref)} (see "keyward keys list")`);
  return key;
}

export async function findOperator(client: KeywardClient, ref: string): Promise<OperatorJson> {
  const { operators } = await client.operators();
  const operator = (OPERATOR_ID.test(ref) ? operators.find((o) => o.id === ref) : undefined) ?? operators.find((o) => sameName(o.name, ref));
  if (!operator) throw refused(`no operator with id or name ${quoted(ref)} (see "keyward operators list")`);
  return operator;
}

/**
 * A rotation by its id, or the open rotation of a key given by id or by its name now (old or
 * new key). Not by the names the rotation recorded when it started: a key renamed since would
 * not be found by its name, and another key given the old name since would find this rotation.
 */
export async function findRotation(client: KeywardClient, ref: string): Promise<RotationJson> {
  if (ROTATION_ID.test(ref)) {
    const found = await byId(async () => (await client.rotation(ref)).rotation);
    if (found) return found;
  }
  const { rotations } = await client.rotations('open');
  const ofKey = (id: string) => rotations.filter((r) => r.oldKeyId === id || r.newKeyId === id);
  let matches = ofKey(ref);
  if (matches.length === 0) {
    const key = await keyNamed(client, ref);
    if (key) matches = ofKey(key.id);
  }
  if (matches.length === 0) throw refused(`no rotation ${quoted(ref)} and no open rotation of a key by that id or name (see "keyward rotations list")`);
  if (matches.length > 1) throw refused(`${quoted(ref)} matches ${matches.length} open rotations (${matches.map((r) => r.id).join(', ')}); give the rotation id`);
  return matches[0]!;
}
