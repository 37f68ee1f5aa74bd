/** `keyward webhooks …`: where keyward POSTs its events, and how the deliveries went (admins only). */
import type { Command } from 'commander';
import type { DeliveryJson, WebhookJson } from '../client/client.js';
import { ago } from '../duration.js';
import { shortTime } from './format.js';
import { emit, note, quoted, renderTable, reveal, type Column } from './output.js';
import { confirmOrRefuse } from './prompt.js';
import { examples, session, withJson, withYes } from './session.js';

const webhookColumns: Column<WebhookJson>[] = [
  { header: 'ID', value: (w) => w.id },
  { header: 'URL', value: (w) => w.url },
  { header: 'EVENTS', value: (w) => w.events.join(',') },
  { header: 'CREATED', value: (w) => `${shortTime(w.createdAt)} by ${w.createdBy}` },
  { header: 'SIGNS', value: (w) => (w.canSign ? 'yes' : 'no: its key is in another home') },
];

const deliveryColumns: Column<DeliveryJson>[] = [
  { header: 'EVENT', value: (d) => d.eventId },
  { header: 'TYPE', value: (d) => d.type },
  { header: 'STATUS', value: (d) => d.status },
  { header: 'ATTEMPTS', value: (d) => String(d.attempts), align: 'right' },
  { header: 'LAST', value: (d) => (d.lastAttemptAt ? `${ago(d.lastAttemptAt, Date.now())}: ${d.lastError ?? `HTTP ${d.lastStatus}`}` : '') },
  { header: 'NEXT', value: (d) => (d.nextAttemptAt ? shortTime(d.nextAttemptAt) : '') },
];

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function webhooksCommand(program: Command): void {
  const webhooks = examples(program.command('webhooks').description('send keyward events to an HTTP(S) endpoint, signed (needs an admin token)'), [
    'keyward webhooks add https://hooks.example.com/keyward --event key.leaked --event key.deactivate > hook.secret',
    'keyward webhooks list',
    'keyward webhooks deliveries whk_5mQp8Xr2LtV7nB3cW9yKd1',
  ]);

  examples(
    withJson(
      webhooks
        .command('add')
        .description('add a webhook; prints its signing secret, once, alone on stdout')
        .argument('<url>', 'an http or https URL')
        .option('--event <type>', 'deliver only this event type, or a prefix like key.* (repeatable; default all)', collect, [] as string[]),
    ),
    ['SECRET=$(keyward webhooks add https://hooks.example.com/keyward)', 'keyward webhooks add http://127.0.0.1:8080/ --event key.leaked --json'],
  ).action(async (url: string, opts: { event: string[]; json?: boolean }, cmd: Command) => {
    const created = await session(cmd).client.createWebhook(url, opts.event);
    const w = created.webhook;
    reveal(opts, created, 'signing secret', created.secret, () => `added webhook ${w.id} for ${quoted(w.url)} (${w.events.join(', ')}); this is the only time its signing secret is shown`);
  });

  examples(withJson(webhooks.command('list').description('list webhooks')), ['keyward webhooks list']).action(async (opts: { json?: boolean }, cmd: Command) => {
    const { webhooks: list } = await session(cmd).client.webhooks();
    await emit(opts, { webhooks: list }, () => (list.length ? renderTable(list, webhookColumns) : 'no webhooks'));
  });

  examples(
    withJson(withYes(webhooks.command('remove').description('remove a webhook with its pending deliveries (asks first on a terminal)').argument('<id>', 'webhook id'))),
    ['keyward webhooks remove whk_5mQp8Xr2LtV7nB3cW9yKd1 --yes'],
  ).action(async (id: string, opts: { yes?: boolean; json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    await confirmOrRefuse(opts.yes, `Remove webhook ${id}? Its pending deliveries are dropped.`);
    await client.deleteWebhook(id);
    await emit(opts, { removed: { id } }, () => `removed webhook ${id}`);
  });

  examples(
    withJson(
      webhooks
        .command('deliveries')
        .description("a webhook's delivery log, newest first")
        .argument('<id>', 'webhook id')
        .option('--limit <n>', 'how many (1–1000)', (v) => Number(v), 100),
    ),
    ['keyward webhooks deliveries whk_5mQp8Xr2LtV7nB3cW9yKd1', "keyward webhooks deliveries whk_… --json | jq '.deliveries[] | select(.status != \"delivered\")'"],
  ).action(async (id: string, opts: { limit: number; json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    const [{ deliveries }, { webhooks: all }] = await Promise.all([client.deliveries(id, opts.limit), client.webhooks()]);
    await emit(opts, { deliveries }, () => (deliveries.length ? renderTable(deliveries, deliveryColumns) : 'no deliveries yet'));
    // The NEXT column is when a daemon that can sign would try; this one never will.
    if (!opts.json && all.some((w) => w.id === id && !w.canSign) && deliveries.some((d) => d.status === 'pending')) {
      note(`this daemon cannot sign for ${id} (its webhook.key is another home's): pending deliveries wait for a daemon that holds that key (docs/webhooks.md)`);
    }
  });
}
