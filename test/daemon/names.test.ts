/**
 * Issue 13.6, invisible and look-alike names: names that draw as another name (`k1` followed
 * by a Hangul filler, a grapheme joiner or a variation selector), that draw as nothing, that
 * pile up combining marks, that are themselves secrets, or whose confusable skeleton (UTS #39)
 * matches an existing name, are refused for keys, operators and rotations alike, changing
 * nothing. Rows stored before skeletons existed get theirs at startup. Runs on both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/daemon/secrets/format.js';
import { startTestApp, storeQuery, type TestApp } from '../helpers/daemon.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.stop());

const LOOK_ALIKES: Record<string, string> = {
  'Hangul filler after k1': 'k1\u3164',
  'combining grapheme joiner after k1': 'k1\u034f',
  'variation selector after k1': 'k1\ufe0f',
  'halfwidth Hangul filler after k1': 'k1\uffa0',
  'Hangul filler alone': '\u3164',
  'blank braille pattern alone': '\u2800',
  'blank braille pattern inside': 'k\u28001',
  'only combining marks': '\u0301\u0302',
  '59 combining marks on one letter': 'z' + '\u0301'.repeat(59),
  'four combining marks in a row': 'q\u0300\u0301\u0302\u0303',
  'an API key': generateSecret('kw_'),
  'an operator token': generateSecret('kwo_'),
  'an API key inside a name': `x-${generateSecret('kw_')}`,
  'a signing secret inside a name': `hook whsec_${'b'.repeat(32)}`,
  'text shaped like a token (no checksum)': `t kwo_${'a'.repeat(20)}`,
};

async function names(): Promise<{ keys: string[]; operators: string[] }> {
  const keys = (await t.client.allKeys()).map((k) => k.name);
  const operators = (await t.client.operators()).operators.map((o) => o.name);
  return { keys, operators };
}

describe('names that draw as something else', () => {
  let rotated: string;
  beforeAll(async () => {
    await t.client.createKey('k1');
    rotated = (await t.client.createKey('rotated')).key.id;
  });

  it.each(Object.entries(LOOK_ALIKES))('refuses %s, for keys, operators and rotations', async (what, name) => {
    const before = await names();
    const attempts = [
      await t.api('POST', '/v1/keys', { name }),
      await t.api('POST', '/v1/operators', { name, role: 'viewer' }),
      await t.api('POST', `/v1/keys/${rotated}/rotations`, { name }),
    ];
    for (const res of attempts) {
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.issues[0]!.path).toBe('name');
    }
    expect(JSON.stringify(attempts.map((a) => a.body)), 'the refusals do not echo the name').not.toContain(name);
    expect(await names(), 'nothing was created').toEqual(before);
    expect((await t.client.rotations('open')).rotations).toEqual([]);
  });

  it('refuses an owner or description that holds a secret, and changes nothing', async () => {
    const { key } = await t.client.createKey('labelled-once');
    const secret = generateSecret('kw_');
    for (const [field, value] of [['owner', `team ${secret}`], ['description', `rotated from ${secret} on Monday`]] as const) {
      const created = await t.api('POST', '/v1/keys', { name: `with-${field}`, [field]: value });
      const edited = await t.api('PATCH', `/v1/keys/${key.id}`, { [field]: value });
      for (const res of [created, edited]) {
        expect(res.status, JSON.stringify(res.body)).toBe(400);
        expect(res.body.error.issues[0]).toMatchObject({ path: field, message: expect.stringMatching(/shaped like an API key/) });
        expect(JSON.stringify(res.body)).not.toContain(secret);
      }
    }
    expect((await t.client.getKey(key.id)).key).toMatchObject({ owner: null, description: null });
    expect((await names()).keys).not.toContain('with-owner');
  });

  it('names the character that draws as nothing', async () => {
    const res = await t.api('POST', '/v1/keys', { name: 'k1\u3164' });
    expect(res.body.error.issues[0]!.message).toMatch(/U\+3164/);
  });

  it('still takes names in other scripts, with a mark or two, and inner spaces', async () => {
    for (const name of ['Tiếng Việt', 'नमस्ते', '日本語のキー', 'billing eu', 'café']) {
      const res = await t.api('POST', '/v1/keys', { name });
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(201);
    }
  });
});

describe('look-alike names (confusable skeletons)', () => {
  it('refuses a key whose name looks like an existing one, saying which', async () => {
    await t.client.createKey('kp1');
    const before = await names();
    // Cyrillic р, upper case, l for 1, and full-width forms (compatibility characters, which confusables.txt leaves out).
    for (const name of ['kр1', 'KР1', 'kpl', 'kp\u0031', 'ｋｐ１', 'ｋp1']) {
      const res = await t.api('POST', '/v1/keys', { name });
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(409);
      expect(res.body.error.code).toBe('name_taken');
    }
    const cyrillic = await t.api('POST', '/v1/keys', { name: 'kр1' });
    expect(cyrillic.body.error.message).toBe('A key named "kp1" already exists, and "kр1" looks like it');
    expect(await names()).toEqual(before);
  });

  it('refuses a look-alike operator name', async () => {
    await t.client.createOperator('alice', 'viewer');
    const res = await t.api('POST', '/v1/operators', { name: 'аlice', role: 'admin' }); // Cyrillic а
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.error.code).toBe('name_taken');
  });

  it('refuses a look-alike name for the new key of a rotation, and skips look-alikes when it picks one', async () => {
    const old = await t.client.createKey('svc');
    await t.client.createKey('svc-l'); // looks like `svc-1`, not like `svc-2`
    const named = await t.api('POST', `/v1/keys/${old.key.id}/rotations`, { name: 'svс-l' }); // Cyrillic с
    expect(named.status, JSON.stringify(named.body)).toBe(409);
    const picked = await t.client.startRotation(old.key.id);
    expect(picked.rotation.newKeyId).toBeTruthy();
    expect((await t.client.getKey(picked.rotation.newKeyId)).key.name).toBe('svc-2');
    await t.client.cancel(picked.rotation.id);
  });
});

describe('stores from before skeletons', () => {
  it('backfills skeletons at startup, keeping both of two look-alikes stored earlier', async () => {
    const first = await t.client.createKey('legacy-o');
    const second = await t.client.createKey('legacy-placeholder');
    // What an older daemon could store: two look-alike names, neither with a skeleton.
    await storeQuery(t, 'update keys set name = ?, name_folded = ? where id = ?', ['legacy-0', 'legacy-0', second.key.id]);
    await storeQuery(t, 'update keys set name_skeleton = null where id in (?, ?)', [first.key.id, second.key.id]);
    await t.restart();
    const rows = await storeQuery<{ id: string; name_skeleton: string | null }>(t, 'select id, name_skeleton from keys where id in (?, ?)', [first.key.id, second.key.id]);
    const skeletonOf = new Map(rows.map((r) => [r.id, r.name_skeleton]));
    expect(skeletonOf.get(first.key.id), 'the older row keeps the plain skeleton').toBe('legacy-o');
    expect(skeletonOf.get(second.key.id), 'the newer one is set apart by its id').toBe(`legacy-o\u0001${second.key.id}`);
    const again = await t.api('POST', '/v1/keys', { name: 'LEGACY-Ο' }); // Greek Ο
    expect(again.status, JSON.stringify(again.body)).toBe(409);
    expect((await t.client.getKey(second.key.id)).key.name).toBe('legacy-0');
  });
});
