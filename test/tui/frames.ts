/**
 * Driving the TUI in tests as a person would: press keys, then wait for the frame to show the
 * result (vi.waitFor, never a fixed sleep).
 */
import { stripVTControlCharacters } from 'node:util';
import { vi } from 'vitest';

export type Rendered = {
  lastFrame(): string | undefined;
  frames: string[];
  stdin: { write(data: string): void };
};

/** A key's secret on screen. */
export const SECRET = /kw_[0-9A-Za-z]{40,}/;

export const KEY = {
  enter: '\r',
  escape: '\x1b',
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  home: '\x1b[H',
  end: '\x1b[F',
  pageDown: '\x1b[6~',
  pageUp: '\x1b[5~',
  backspace: '\x7f',
  ctrlC: '\x03',
  ctrlL: '\x0c',
  ctrlU: '\x15',
  tab: '\t',
  shiftTab: '\x1b[Z',
} as const;

/** The last frame as text, styles removed. */
export function screen(app: Rendered): string {
  return stripVTControlCharacters(app.lastFrame() ?? '');
}

/**
 * Lets React run the effects of the last render (a screen starts its reads in effects), as a
 * person looking at the frame would. Keys do not need it: a screen takes them from the moment
 * its frame is committed (hooks/keyboard.ts; a test in app.test.tsx presses one right then).
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What a screen shows while its request is on its way; it takes no command until the answer. */
const WORKING = 'Working…';

/**
 * Waits (vi.waitFor) until the last frame satisfies `predicate` and shows no request on its way
 * (a person waits for `Working…` to go; the event stream can draw a write's result a few ms
 * before its answer arrives); fails with that frame when it never does. Returns the frame,
 * with React settled on both sides of it.
 */
export async function waitForFrame(app: Rendered, predicate: (frame: string) => boolean, what: string, timeoutMs = 5000): Promise<string> {
  const frame = await vi.waitFor(
    async () => {
      await settle();
      const frame = screen(app);
      if (!predicate(frame) || frame.includes(WORKING)) throw new Error(`waited ${timeoutMs} ms for ${what}; the screen shows:\n${frame}`);
      return frame;
    },
    { timeout: timeoutMs, interval: 10 },
  );
  await settle();
  return frame;
}

/** Waits for `text` on screen. */
export function waitForText(app: Rendered, text: string | RegExp, timeoutMs?: number): Promise<string> {
  return waitForFrame(app, (f) => (typeof text === 'string' ? f.includes(text) : text.test(f)), JSON.stringify(String(text)), timeoutMs);
}

/** Presses each key in turn (a string of several characters arrives as one paste). */
export function press(app: Rendered, ...keys: string[]): void {
  for (const key of keys) app.stdin.write(key);
}

/** The screen line holding the `›` cursor of the key table. */
export function cursorLine(frame: string): string | undefined {
  return frame.split('\n').find((line) => line.startsWith('›'));
}

/** Whether the app has exited (Ink stops reading the keyboard when it unmounts). */
export function exited(app: Rendered): boolean {
  return (app.stdin as unknown as NodeJS.EventEmitter).listenerCount('readable') === 0;
}

/** Opens the add dialog, types `name` and submits it, as a person would. */
export async function submitAdd(app: Rendered, name: string): Promise<void> {
  press(app, 'a');
  await waitForText(app, 'Add a key');
  press(app, name);
  await waitForText(app, `Name: ${name}`);
  press(app, KEY.enter);
}

/** Adds a key through the add dialog; resolves with the secret it reveals. */
export async function addKey(app: Rendered, name: string): Promise<string> {
  await submitAdd(app, name);
  return SECRET.exec(await waitForText(app, 'shown this once'))![0];
}
