/**
 * The daemon's change feed: services publish here after each committed change, and every
 * `/v1/events` stream subscribes. Payloads are the public JSON shapes, never a secret.
 */
import { EventEmitter } from 'node:events';
import type { DaemonEvent } from './schemas.js';

export type { DaemonEvent };

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Each open TUI holds one listener; a busy server may have many.
    this.emitter.setMaxListeners(0);
  }

  publish(event: DaemonEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: DaemonEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  get listeners(): number {
    return this.emitter.listenerCount('event');
  }
}
