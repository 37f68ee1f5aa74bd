/**
 * The actions the audit log records. Every audited change is also a webhook event of its
 * action's name, so this list (with the alert kinds) is what a webhook can subscribe to; an
 * audit entry's type takes its action from here, so the compiler keeps the list complete.
 */
export const AUDIT_ACTIONS = [
  'key.create',
  'key.import',
  'key.update',
  'key.deactivate',
  'key.activate',
  'key.delete',
  'rotation.start',
  'rotation.advance',
  'rotation.rollback',
  'rotation.cancel',
  'operator.create',
  'operator.disable',
  'webhook.create',
  'webhook.delete',
  'alert.ack',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
