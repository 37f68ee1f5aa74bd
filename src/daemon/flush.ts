/**
 * A flush many callers share (the usage tracker's, the alert service's): `flush()` resolves
 * once everything counted before the call is written. A flush already running took its counts
 * before some of the caller's, so a call that comes meanwhile waits for it and then for one
 * more, which every caller that came while it ran shares. Joining the running one alone lost a
 * read the sightings counted after it began.
 */
export class SharedFlush {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly write: () => Promise<void>) {}

  flush(): Promise<void> {
    if (!this.running) {
      this.running = this.write().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.flush();
      });
    return this.queued;
  }
}
