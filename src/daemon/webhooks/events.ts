/**
 * What webhooks deliver, without I/O: the outbound event (`{id,type,at,data}`), which webhooks
 * want it, the delivery rows a store writes for it in the transaction of the change it
 * announces, the `Keyward-Signature` header, and the retry schedule. See docs/webhooks.md.
 */
import { createHmac } from 'node:crypto';
import { backoffMs } from '../../backoff.js';
import { iso } from '../http/openapi.js';
import { newId } from '../secrets/format.js';
import { ALERT_KINDS } from '../alerts/kinds.js';
import { alertJson } from '../alerts/schemas.js';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AlertRow, AuditEvent } from '../store.js';

/** An event as webhooks receive it. `id` lets a receiver drop a repeat (delivery is at least once). */
export type OutboundEvent = { id: string; type: string; at: number; data: Record<string, unknown> };

/** What a store reads of a webhook to decide whether an event goes to it. */
export type Subscriber = { id: string; events: string };

/** A delivery row as the stores insert it. */
export type NewDelivery = {
  id: string;
  webhookId: string;
  eventId: string;
  type: string;
  body: string;
  createdAt: number;
  status: 'pending';
  attempts: 0;
  nextAttemptAt: number;
};

/** `*`, an event type (`key.leaked`), or a prefix ending in `.*` (`key.*`). */
const EVENT_PATTERN = /^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$/;

/** Every type of event a webhook can be sent: each audited action, and each kind of alert. */
export const EVENT_TYPES: readonly string[] = [...AUDIT_ACTIONS, ...ALERT_KINDS];

function matches(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

/**
 * Why a webhook's event pattern is refused, or undefined: a pattern that matches nothing
 * keyward sends (a typo, `key.leak`) would leave its webhook silently waiting forever.
 */
export function patternProblem(pattern: string): string | undefined {
  if (!EVENT_PATTERN.test(pattern)) return 'must be *, an event type (key.leaked) or a prefix ending in .* (key.*)';
  if (!EVENT_TYPES.some((type) => matches([pattern], type))) return `matches no event keyward sends; the types are ${EVENT_TYPES.join(', ')}`;
  return undefined;
}

/** The body every delivery of `event` carries, byte for byte. */
function deliveryBody(event: OutboundEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, at: iso(event.at), data: event.data });
}

/** One pending delivery of `event` per webhook that wants it. */
export function deliveriesFor(event: OutboundEvent, subscribers: readonly Subscriber[]): NewDelivery[] {
  const wanting = subscribers.filter((s) => matches(JSON.parse(s.events) as string[], event.type));
  if (wanting.length === 0) return [];
  const body = deliveryBody(event);
  return wanting.map((s) => ({
    id: newId('dlv_'),
    webhookId: s.id,
    eventId: event.id,
    type: event.type,
    body,
    createdAt: event.at,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: event.at,
  }));
}

/** Every audited change is an event of its action's name (`key.deactivate`, `rotation.advance`, …). */
export function auditOutbound(e: Omit<AuditEvent, 'seq'>): OutboundEvent {
  return {
    id: e.id,
    type: e.action,
    at: e.at,
    data: {
      target: { type: e.targetType, id: e.targetId, name: e.targetName },
      operator: { id: e.operatorId, name: e.operatorName },
      detail: JSON.parse(e.detail) as unknown,
    },
  };
}

/** A deactivation reason that reports a leak: `keyward scan --deactivate` writes `leaked: FILE:LINE`. */
export function isLeakReport(reason: string): boolean {
  return /^leaked\b/i.test(reason);
}

/**
 * A raised alert (docs/alerts.md) is an event of its kind (`canary.tripped`, `key.leaked`, …)
 * with the alert as the API shows it and the key it is about; `key.leaked` also carries the
 * key's hint and the reason, as `keyward scan --deactivate` gave it.
 */
export function alertOutbound(alert: AlertRow, key: { id: string; name: string; hint?: string } = { id: alert.keyId, name: alert.keyName }): OutboundEvent {
  const reason = alert.kind === 'key.leaked' ? { reason: alert.detail.reason } : {};
  return { id: newId('evt_'), type: alert.kind, at: alert.firstSeenAt, data: { alert: alertJson(alert), key, ...reason } };
}

/** `Keyward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signature(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export type RetryPolicy = {
  /** The wait after the first failed attempt; each further failure doubles it. */
  baseMs: number;
  /** The longest wait between two attempts. */
  capMs: number;
  /** How long after the event it is given up. */
  windowMs: number;
};

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5_000, capMs: 10 * 60_000, windowMs: 24 * 60 * 60_000 };

/**
 * When to try again after `attempts` failed attempts, or null to give up: exponential backoff
 * with "equal jitter" (half the wait fixed, half random), so receivers coming back are not hit
 * by every daemon's retries at the same instant.
 */
export function nextAttemptAt(policy: RetryPolicy, attempts: number, createdAt: number, now: number, random = Math.random): number | null {
  const wait = backoffMs(attempts - 1, policy.baseMs, policy.capMs);
  const at = now + wait / 2 + (random() * wait) / 2;
  return at - createdAt >= policy.windowMs ? null : Math.round(at);
}
