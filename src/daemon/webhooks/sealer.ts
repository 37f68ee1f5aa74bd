/**
 * How webhook signing secrets are kept: the daemon must have a secret to sign with, so it
 * cannot keep only a hash, as it does for keys and tokens. It seals each one with AES-256-GCM
 * under a key in the home (`webhook.key`, 32 random bytes, 0600), bound to the webhook's id,
 * and stores only that. A copy of the store alone (a backup, a PostgreSQL dump, a replica of
 * the database) gives no secret away; the home's key does not leave the machine.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { publishPrivate, readPrivate } from '../../private-files.js';

const KEY_TEXT = /^([0-9a-f]{64})\n?$/;

export class WebhookSealer {
  /** A fingerprint of the key, stored beside each sealed secret: which daemons can sign for it. */
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  /** The home's key, created (whole, or not at all) on first use; a damaged file is an error, never replaced. */
  static forFile(file: string): WebhookSealer {
    publishPrivate(file, randomBytes(32).toString('hex') + '\n');
    const text = readPrivate(file) ?? '';
    const hex = KEY_TEXT.exec(text)?.[1];
    if (!hex) throw new Error(`${file} is damaged (it should hold 64 hexadecimal digits); webhooks cannot be signed without it`);
    return new WebhookSealer(Buffer.from(hex, 'hex'));
  }

  seal(secret: string, webhookId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(webhookId));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
  }

  /** Throws when the secret was sealed under another key or for another webhook. */
  unseal(sealed: string, webhookId: string): string {
    const bytes = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12)).setAAD(Buffer.from(webhookId));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  }
}
