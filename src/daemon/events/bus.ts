/**
 * The daemon's change feed: services publish here after each committed change, and the event
 * streams (streams.ts) fan it out. Payloads are the public JSON shapes, never a secret.
 */
import { EventEmitter } from 'node:events';
import type { Permission } from '../auth/permissions.js';
import type { DaemonEvent } from './schemas.js';

export type DaemonEventType = DaemonEvent['type'];

/**
 * What an operator needs to receive each event: the permission that reading the same thing
 * through the API takes, so a stream never tells more than `GET` would (viewers do not list
 * operators, so they get no `operator.*`).
 */
const READ_PERMISSION: Record<DaemonEventType, Permission> = {
  'key.created': 'keys:read',
  'key.updated': 'keys:read',
  'key.deleted': 'keys:read',
  'key.leaked': 'keys:read',
  'keys.imported': 'keys:read',
  'rotation.created': 'keys:read',
  'rotation.updated': 'keys:read',
  'operator.created': 'operators:manage',
  'operator.updated': 'operators:manage',
  usage: 'keys:read',
  'alert.raised': 'keys:read',
  'alert.updated': 'keys:read',
};

export function readPermission(type: DaemonEventType): Permission {
  return READ_PERMISSION[type];
}

export class EventBus {
  private readonly emitter = new EventEmitter();

  publish(event: DaemonEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: DaemonEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
