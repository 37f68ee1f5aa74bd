/**
 * Long work on the event loop (a million keys placed or compared), cut into slices of a few
 * milliseconds each ended by a turn of the loop, so requests are answered meanwhile.
 */
import { setImmediate } from 'node:timers/promises';

export class Slice {
  private start = performance.now();

  constructor(private readonly ms: number) {}

  /** Whether this slice has used its time: then `turn`. */
  over(): boolean {
    return performance.now() - this.start >= this.ms;
  }

  /** Lets the event loop run what waits, and starts a new slice. */
  async turn(): Promise<void> {
    await setImmediate();
    this.start = performance.now();
  }
}
