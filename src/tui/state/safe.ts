/**
 * Untrusted text (key and operator names, callers, messages) is stripped of control and
 * format characters as it enters the TUI, so nothing drawn later can steer the terminal.
 * Every string the daemon sends passes through one of these (or `errorText`) on its way in.
 */
import type { AlertJson, AuditEventJson, KeyJson, RotationJson, UsageJson } from '../../client/client.js';
import type { Role } from '../../daemon/auth/permissions.js';
import { stripUnsafe } from '../../sanitize.js';
import type { Operator } from './actions.js';

/** The operator from `/v1/me`, drawn in the header and named in refusals. */
export function safeOperator(operator: Operator): Operator {
  return { ...operator, name: stripUnsafe(operator.name), role: stripUnsafe(operator.role) as Role };
}

/** A JSON value with every string in it, object keys included, made safe to draw. */
function safeJson(value: unknown): unknown {
  if (typeof value === 'string') return stripUnsafe(value);
  if (Array.isArray(value)) return value.map(safeJson);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [stripUnsafe(k), safeJson(v)]));
  return value;
}

/** `text` made safe; null (no label) stays null. */
function safeLabel(text: string | null): string | null {
  return text === null ? null : stripUnsafe(text);
}

/**
 * A key as the daemon sent it, with every string in it made safe: names, labels, the reason it
 * was deactivated, meta (keys and values, at any depth) and the policy's lists. The daemon refuses control characters in
 * most of these already; the TUI does not rely on that (meta is any JSON, and the daemon may be
 * an older or a hostile one). Fields an older daemon does not send stay absent.
 */
export function safeKey(key: KeyJson): KeyJson {
  return {
    ...key,
    name: stripUnsafe(key.name),
    hint: stripUnsafe(key.hint),
    createdBy: stripUnsafe(key.createdBy),
    ...(key.deactivationReason !== undefined && { deactivationReason: safeLabel(key.deactivationReason) }),
    ...(key.description !== undefined && { description: safeLabel(key.description) }),
    ...(key.owner !== undefined && { owner: safeLabel(key.owner) }),
    ...(key.meta !== undefined && { meta: key.meta && (safeJson(key.meta) as Record<string, unknown>) }),
    ...(key.scopes !== undefined && { scopes: key.scopes && key.scopes.map(stripUnsafe) }),
    ...(key.allowedIps !== undefined && { allowedIps: key.allowedIps && key.allowedIps.map(stripUnsafe) }),
  };
}

/** An alert with every string in it made safe to draw (its detail's too). */
export function safeAlert(alert: AlertJson): AlertJson {
  const text = (value: string | null) => (value === null ? null : stripUnsafe(value));
  const detail = Object.fromEntries(Object.entries(alert.detail).map(([k, v]) => [k, typeof v === 'string' ? stripUnsafe(v) : v]));
  return { ...alert, keyName: stripUnsafe(alert.keyName), caller: text(alert.caller), ip: text(alert.ip), acknowledgedBy: text(alert.acknowledgedBy), detail };
}

type KeyEvidence = RotationJson['evidence']['newKey'];

function safeEvidence(e: KeyEvidence): KeyEvidence {
  return { ...e, name: stripUnsafe(e.name), callers: e.callers.map((c) => ({ ...c, caller: stripUnsafe(c.caller) })) };
}

export function safeRotation(rotation: RotationJson): RotationJson {
  const { evidence } = rotation;
  return {
    ...rotation,
    oldKeyName: stripUnsafe(rotation.oldKeyName),
    newKeyName: stripUnsafe(rotation.newKeyName),
    createdBy: stripUnsafe(rotation.createdBy),
    evidence: {
      ...evidence,
      newKey: safeEvidence(evidence.newKey),
      oldKey: safeEvidence(evidence.oldKey),
      systems: {
        yetToSwitch: evidence.systems.yetToSwitch.map((c) => ({ ...c, caller: stripUnsafe(c.caller) })),
        switched: evidence.systems.switched.map((c) => ({ ...c, caller: stripUnsafe(c.caller) })),
      },
      guard: evidence.guard === null ? null : stripUnsafe(evidence.guard),
    },
  };
}

export function safeUsage(usage: UsageJson): UsageJson {
  return { ...usage, callers: usage.callers.map((c) => ({ ...c, caller: stripUnsafe(c.caller) })) };
}

/** An audit event reduced to the strings the audit view draws. */
export type AuditLine = { readonly seq: number; readonly at: string; readonly operator: string; readonly action: string; readonly target: string; readonly detail: string };

export function auditLine(event: AuditEventJson): AuditLine {
  return {
    seq: event.seq,
    at: event.at,
    operator: stripUnsafe(event.operatorName),
    action: stripUnsafe(event.action),
    target: stripUnsafe(event.targetName || event.targetId),
    detail: stripUnsafe(Object.keys(event.detail).length ? JSON.stringify(event.detail) : ''),
  };
}
