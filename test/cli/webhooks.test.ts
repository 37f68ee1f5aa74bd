/**
 * Issue 17: `keyward webhooks …` spawned as processes against a daemon process: the signing
 * secret alone on stdout once, list, the delivery log, remove with --yes, refusals.
 */
import Database from 'better-sqlite3';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeliveryJson, WebhookJson } from '../../src/client/client.js';
import { json, startDaemonProcess, type DaemonProcess } from './harness.js';

vi.setConfig({ testTimeout: 90_000 });

let d: DaemonProcess;
let receiver: Server;
let url: string;
beforeAll(async () => {
  d = await startDaemonProcess();
  receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await d.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

describe('keyward webhooks', () => {
  it('adds a webhook, printing its secret alone on stdout; lists it and its deliveries; removes it', async () => {
    const added = await d.run(['webhooks', 'add', url, '--event', 'key.*', '--event', 'key.leaked']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^whsec_[A-Za-z0-9_-]{43}\n$/);
    expect(added.stderr).toMatch(/added webhook whk_\w+ for ".*\/hook" \(key\.\*, key\.leaked\); this is the only time its signing secret is shown/);
    const secret = added.stdout.trim();

    const list = json<{ webhooks: WebhookJson[] }>(await d.run(['webhooks', 'list', '--json']));
    expect(list.webhooks).toEqual([expect.objectContaining({ url, events: ['key.*', 'key.leaked'], canSign: true })]);
    const id = list.webhooks[0]!.id;
    const table = await d.run(['webhooks', 'list']);
    expect(table.stdout).toContain(id);
    expect(table.stdout + table.stderr).not.toContain(secret);

    await d.client.createKey('billing');
    // The first delivery, key.create, reaches the receiver within a poll or two.
    const log = await vi.waitFor(async () => {
      const ds = json<{ deliveries: DeliveryJson[] }>(await d.run(['webhooks', 'deliveries', id, '--json'])).deliveries;
      expect(ds.some((x) => x.type === 'key.create' && x.status === 'delivered')).toBe(true);
      return ds;
    }, { timeout: 20_000 });
    expect(log[0]).toMatchObject({ type: 'key.create', status: 'delivered', attempts: 1, lastStatus: 204 });
    const shown = await d.run(['webhooks', 'deliveries', id]);
    expect(shown.stdout).toMatch(/EVENT +TYPE +STATUS +ATTEMPTS/);
    expect(shown.stdout).toMatch(/key\.create +delivered +1/);

    const removed = await d.run(['webhooks', 'remove', id, '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe(`removed webhook ${id}\n`);
    expect((await d.run(['webhooks', 'list'])).stdout).toBe('no webhooks\n');
  });

  it('says under the delivery log when this daemon cannot sign for the webhook, whose pending deliveries wait for one that can', async () => {
    // A webhook added through a daemon of another home (a shared store): sealed under its key.
    const db = new Database(join(d.home, 'keyward.db'));
    db.prepare("insert into webhooks (id, url, events, sealed_secret, key_id, created_at, created_by) values ('whk_foreign', ?, '[\"key.*\"]', 'sealed', 'another-home', ?, 'admin')").run(url, Date.now());
    db.close();
    await d.client.createKey('announced');
    const shown = await d.run(['webhooks', 'deliveries', 'whk_foreign']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/key\.create +pending +0/);
    expect(shown.stderr).toBe("this daemon cannot sign for whk_foreign (its webhook.key is another home's): pending deliveries wait for a daemon that holds that key (docs/webhooks.md)\n");
    const asJson = await d.run(['webhooks', 'deliveries', 'whk_foreign', '--json']);
    expect(asJson.stderr, 'JSON alone').toBe('');
    expect((await d.run(['webhooks', 'remove', 'whk_foreign', '--yes'])).code).toBe(0);
  });

  it('refuses a URL that is not http(s), an unknown webhook, and a removal without --yes off a terminal', async () => {
    const bad = await d.run(['webhooks', 'add', 'ftp://example.com/x']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^keyward: .*must be an http or https URL.*\(invalid_request\)\n$/);
    const missing = await d.run(['webhooks', 'remove', 'whk_nothing', '--yes']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No webhook with id whk_nothing/);
    const unconfirmed = await d.run(['webhooks', 'remove', 'whk_nothing']);
    expect(unconfirmed.code).toBe(2);
  });
});
