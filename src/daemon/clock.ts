/**
 * Time as the daemon's services see it: what time it is, and work repeated on an interval (the
 * usage flush, the rotation scheduler). One object, injected through `createCore`, so a test
 * can move time by hand and run what has come due instead of waiting for it.
 */
export type Clock = {
  now(): number;
  /** Runs `task` every `intervalMs` until the returned function is called; never keeps the process alive. */
  every(intervalMs: number, task: () => unknown): () => void;
};

export const systemClock: Clock = {
  now: () => Date.now(),
  every(intervalMs, task) {
    const timer = setInterval(task, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  },
};
