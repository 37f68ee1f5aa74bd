/**
 * The open `/v1/events` streams and what each may receive. One bus listener serializes each
 * event once and hands that same frame to every stream whose operator may read it, so a
 * thousand streams cost one JSON.stringify, not a thousand. Streams are capped per operator and
 * in all; each keeps a bounded queue of frames its client has not taken yet, and a client that
 * falls further behind is dropped with a log line instead of growing the daemon's memory. A
 * disabled operator's streams close at once (and a sweep with each heartbeat catches a disable
 * this daemon was not told about).
 */
import { can, type Role } from '../auth/permissions.js';
import { KeywardError } from '../errors.js';
import { readPermission, type EventBus } from './bus.js';
import type { DaemonEvent } from './schemas.js';

export type StreamLimits = {
  /** Streams one operator may hold open: a leaked token cannot take every slot. */
  perOperator: number;
  /** Streams open in all. */
  total: number;
  /** Bytes of frames a client may leave untaken before it is dropped. */
  queueBytes: number;
};

export type StreamOptions = Partial<StreamLimits> & {
  /** How often a comment goes out on every stream, so a quiet stream can be told from a dead one. */
  heartbeatMs?: number;
};

/**
 * A TUI holds one stream; 16 leave room for several terminals and scripts of one operator. A
 * frame shared by every queue costs its bytes once, so the 1 MiB per queue is how far a client
 * may lag (a burst of changes, a large usage tick), not memory multiplied by streams.
 */
export const DEFAULT_STREAM_LIMITS: StreamLimits = { perOperator: 16, total: 256, queueBytes: 1024 * 1024 };
const HEARTBEAT_MS = 15_000;

/** One frame of a stream: a named event with its JSON, or a comment. */
export type Frame = { readonly event: string; readonly data: string } | { readonly comment: string };

export type StreamOwner = { readonly id: string; readonly name: string; readonly role: Role };

/** A frame with the bytes it counts for in a queue. */
export type Queued = { readonly frame: Frame; readonly size: number };

const HEARTBEAT: Queued = { frame: { comment: 'heartbeat' }, size: 13 };

/** One client's stream: the frames it has yet to take, and how it ends. */
export class EventStream {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private wake: (() => void) | undefined;
  private readonly closers: (() => void)[] = [];
  private isClosed = false;

  constructor(
    readonly owner: StreamOwner,
    private readonly maxQueueBytes: number,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Queues a frame; false when the client is too far behind to keep. An empty queue always
   * takes one frame, so a frame larger than the limit reaches a client that keeps up.
   */
  offer(item: Queued): boolean {
    if (this.isClosed) return true;
    if (this.queue.length > 0 && this.queuedBytes + item.size > this.maxQueueBytes) return false;
    this.queue.push(item);
    this.queuedBytes += item.size;
    this.wake?.();
    return true;
  }

  /** The next frame to write, once there is one; undefined when the stream has closed. */
  async next(): Promise<Frame | undefined> {
    while (!this.isClosed) {
      const item = this.queue.shift();
      if (item) {
        this.queuedBytes -= item.size;
        return item.frame;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    return undefined;
  }

  /** Runs `listener` once when the stream closes, whoever closes it. */
  onClose(listener: () => void): void {
    if (this.isClosed) listener();
    else this.closers.push(listener);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.wake?.();
    for (const listener of this.closers.splice(0)) listener();
  }
}

export class EventStreams {
  private readonly streams = new Set<EventStream>();
  private readonly limits: StreamLimits;
  private readonly heartbeatMs: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    bus: EventBus,
    /** Whether an operator may still hold streams (false once disabled). */
    private readonly isActive: (operatorId: string) => boolean,
    private readonly log: (line: string) => void,
    options: StreamOptions = {},
  ) {
    const { heartbeatMs, ...limits } = options;
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...limits };
    this.heartbeatMs = heartbeatMs ?? HEARTBEAT_MS;
    this.unsubscribe = bus.subscribe((event) => this.publish(event));
  }

  /** Streams open now. */
  get size(): number {
    return this.streams.size;
  }

  /** A new stream for `owner`, or `too_many_streams` when a cap is reached. */
  open(owner: StreamOwner): EventStream {
    const { total, perOperator, queueBytes } = this.limits;
    if (this.streams.size >= total) {
      throw new KeywardError('too_many_streams', `The daemon already has ${total} event streams open, its limit; try again later`);
    }
    let held = 0;
    for (const stream of this.streams) if (stream.owner.id === owner.id) held++;
    if (held >= perOperator) {
      throw new KeywardError('too_many_streams', `Operator "${owner.name}" already has ${perOperator} event streams open, the limit per operator; close one first`);
    }
    const stream = new EventStream(owner, queueBytes);
    this.streams.add(stream);
    stream.onClose(() => {
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stopHeartbeat();
    });
    this.startHeartbeat();
    return stream;
  }

  /** Closes every stream of an operator; returns how many there were. */
  closeOperator(operatorId: string): number {
    let closed = 0;
    for (const stream of [...this.streams]) {
      if (stream.owner.id !== operatorId) continue;
      stream.close();
      closed++;
    }
    return closed;
  }

  /** Closes every stream and stops listening (the daemon is stopping). */
  close(): void {
    this.unsubscribe();
    for (const stream of [...this.streams]) stream.close();
    this.stopHeartbeat();
  }

  private publish(event: DaemonEvent): void {
    if (event.type === 'operator.updated' && event.operator.disabledAt !== null) this.closeDisabled(event.operator.id, event.operator.name);
    if (this.streams.size === 0) return;
    const needs = readPermission(event.type);
    const data = JSON.stringify(event);
    const item: Queued = { frame: { event: event.type, data }, size: data.length + event.type.length + 16 };
    for (const stream of [...this.streams]) if (can(stream.owner.role, needs)) this.deliver(stream, item);
  }

  private deliver(stream: EventStream, item: Queued): void {
    if (stream.offer(item)) return;
    const { name, role } = stream.owner;
    this.log(`dropped an event stream of operator "${name}" (${role}): its client fell more than ${Math.round(this.limits.queueBytes / 1024)} KiB behind`);
    stream.close();
  }

  private closeDisabled(operatorId: string, name: string): void {
    const closed = this.closeOperator(operatorId);
    if (closed > 0) this.log(`closed ${closed} event stream${closed === 1 ? '' : 's'} of operator "${name}": the operator was disabled`);
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const stream of [...this.streams]) {
        if (!this.isActive(stream.owner.id)) this.closeDisabled(stream.owner.id, stream.owner.name);
        else this.deliver(stream, HEARTBEAT);
      }
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
