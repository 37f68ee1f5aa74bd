/**
 * The daemon's V8 heap settings. V8 grows the young generation ("new space", where every object
 * starts) up to 2 × 16 MB whenever many objects survive a scavenge, which loading the daemon's
 * modules and then its key index both do; it never gives the pages back. Measured at 100,000
 * keys (docs/performance.md): new space 33 MB resident, 0.4 MB of it in use, a fifth of the
 * daemon's RSS. Kept at the size it has when the daemon command starts (2 MB a semi-space),
 * it holds 4 MB. The price is more frequent scavenges: of two back-to-back verify benchmarks,
 * one showed no change in CPU a request and the other 10-20 % more (docs/performance.md);
 * chosen for the memory, which the 100,000-key target bounds, while the CPU figure is within
 * this box's noise.
 *
 * Set at run time, since `keyward daemon` must be as small when started as `node dist/cli.js
 * daemon` (systemd) as when autostarted. V8 reads the growth factor each time it would grow the
 * space, so the flag takes effect although the heap exists already; `test/daemon/process.test.ts`
 * checks the daemon's new space through `/metrics`, so a Node release that stops honouring it
 * shows up as a failing test.
 */
import { setFlagsFromString } from 'node:v8';

/** Call before loading the daemon's modules. Changes this process's V8 settings. */
export function keepNewSpaceSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
