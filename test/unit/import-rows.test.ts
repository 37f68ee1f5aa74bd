/**
 * The rows an import batch becomes (src/daemon/keys/import.ts), without a daemon: in order, with
 * the batch's own refusals naming the item, and built a slice at a time so that the daemon's
 * event loop turns during a batch of thousands.
 */
import { describe, expect, it } from 'vitest';
import { NO_FIELDS } from '../../src/daemon/keys/edit.js';
import { importRows, type ImportContext } from '../../src/daemon/keys/import.js';
import { hashSecret } from '../../src/daemon/secrets/format.js';

const TOKEN_HASH = hashSecret('kwo_an-operator-token');
const context: ImportContext = { actor: { id: 'op_1', name: 'admin' }, now: Date.parse('2030-01-01T00:00:00Z'), fieldsOf: () => NO_FIELDS, isOperatorToken: (hash) => hash === TOKEN_HASH };
const items = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `legacy-${i}`, sha256: hashSecret(`legacy-${i}`) }));

describe('importRows', () => {
  it('builds every row in order, letting the event loop turn between slices of the batch', async () => {
    let turned = false;
    setImmediate(() => (turned = true));
    const rows = await importRows(items(2_500), context);
    // Awaiting a promise that settled without a turn resumes before any setImmediate callback.
    expect(turned, 'the loop turned while the rows were built').toBe(true);
    expect(rows.map((r) => r.name)).toEqual(items(2_500).map((i) => i.name));
    expect(new Set(rows.map((r) => r.id)).size).toBe(2_500);
    expect(rows[7]).toMatchObject({ hash: hashSecret('legacy-7'), hint: `sha256:${hashSecret('legacy-7').slice(0, 8)}`, status: 'active', createdBy: 'admin' });
  });

  it('refuses a name twice in the batch, or one that looks like another, naming both items, past the first slice', async () => {
    const batch = [...items(1_500), { name: 'LEGACY-1200', sha256: hashSecret('other') }];
    await expect(importRows(batch, context)).rejects.toMatchObject({ code: 'name_taken', message: expect.stringContaining('keys.1200') });
    await expect(importRows(batch, context)).rejects.toMatchObject({ issues: [{ path: 'keys.1500.name' }] });
  });

  it('refuses a secret twice in the batch without quoting it, and an expiry in the past', async () => {
    const secret = 'sk_live_0123456789abcdefghijklmnop';
    await expect(importRows([{ name: 'a', secret }, { name: 'b', secret }], context)).rejects.toMatchObject({ message: "keys.1: This secret is already keys.0's in this batch" });
    await expect(importRows([{ name: 'a', secret }, { name: 'b', secret }], context)).rejects.not.toMatchObject({ message: expect.stringContaining(secret) });
    await expect(importRows([{ name: 'old', sha256: hashSecret('old'), expiresAt: '2020-01-01T00:00:00Z' }], context)).rejects.toMatchObject({ issues: [{ path: 'keys.0.expiresAt' }] });
  });

  it('refuses the hash of an operator token, which a kwo_ secret is refused for too', async () => {
    await expect(importRows([...items(2), { name: 'optok', sha256: TOKEN_HASH }], context)).rejects.toMatchObject({
      code: 'invalid_request',
      issues: [{ path: 'keys.2.sha256', message: "is an operator token's (kwo_…), which is never an API key" }],
    });
  });
});
