/**
 * Webhooks as the admin manages them: create (the signing secret returned this once, stored
 * only sealed), list, delete, and the delivery log. Delivery itself is the dispatcher's.
 */
import { randomBytes } from 'node:crypto';
import { newId } from '../secrets/format.js';
import type { Actor, DeliveryRow, Store, WebhookRow } from '../store.js';
import type { WebhookSealer } from './sealer.js';

/** `whsec_` + 32 random bytes, base64url: the HMAC key receivers verify signatures with. */
function newSigningSecret(): string {
  return 'whsec_' + randomBytes(32).toString('base64url');
}

export class WebhookService {
  constructor(
    private readonly store: Store,
    private readonly sealer: WebhookSealer,
    private readonly now: () => number,
  ) {}

  async create(url: string, events: string[], actor: Actor): Promise<{ webhook: WebhookRow; secret: string }> {
    const id = newId('whk_');
    const secret = newSigningSecret();
    const webhook = await this.store.createWebhook(
      { id, url, events, keyId: this.sealer.keyId, sealedSecret: this.sealer.seal(secret, id), createdAt: this.now(), createdBy: actor.name },
      actor,
    );
    return { webhook, secret };
  }

  list(): Promise<WebhookRow[]> {
    return this.store.listWebhooks();
  }

  async delete(id: string, actor: Actor): Promise<void> {
    await this.store.deleteWebhook(id, this.now(), actor);
  }

  deliveries(id: string, limit: number): Promise<DeliveryRow[]> {
    return this.store.listDeliveries(id, limit);
  }

  /** Whether this daemon holds the key the webhook's secret is sealed under (so it can deliver). */
  canSign(webhook: WebhookRow): boolean {
    return webhook.keyId === this.sealer.keyId;
  }
}
