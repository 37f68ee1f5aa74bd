/**
 * The TUI on a real terminal: `keyward` (the sources, compiled) in a detached tmux session on a
 * private tmux server, driven with keys and resizes and read back with capture-pane.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { KEYWARD } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOCKET = `keyward-test-${process.pid}`;

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;
/** The private server's socket, once it runs (tmux leaves it behind when the server ends). */
let socketPath: string | undefined;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8', env: cleanEnv() });
}

/** What a person's shell would have: no test runner, no keyward settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', LANG: 'C.UTF-8', ...extra };
}

function quote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export type Terminal = {
  screen(): string;
  /** The screen with its styles, as escape sequences (SGR). */
  styled(): string;
  keys(...keys: string[]): void;
  type(text: string): void;
  resize(columns: number, rows: number): void;
  /** The terminal device, to write on it behind the TUI's back. */
  tty(): string;
  /** Waits until the screen satisfies `ok`; fails with the screen after `timeoutMs`. */
  waitFor(ok: (screen: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  stop(): void;
};

/** `keyward ARGS` in a `columns`×`rows` terminal; `imports` are loaded first (`node --import`). */
export function openTerminal(name: string, columns: number, rows: number, args: readonly string[], options: { imports?: string[]; env?: Record<string, string> } = {}): Terminal {
  // tsx only to load TypeScript fixtures ahead of keyward, which runs compiled (test/helpers/cli.ts).
  const preload = options.imports?.length ? ['--import', 'tsx', ...options.imports.flatMap((i) => ['--import', i])] : [];
  const [nodePath, ...cli] = KEYWARD;
  const node = [nodePath, ...preload, ...cli, ...args];
  const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const command = `cd ${quote(ROOT)} && ${node.map(quote).join(' ')}; echo "[exited $?]"; sleep 600`;
  tmux('new-session', '-d', '-s', name, '-x', String(columns), '-y', String(rows), ...env, command);
  socketPath ??= tmux('display-message', '-p', '-t', name, '#{socket_path}').trim();
  const screen = () => tmux('capture-pane', '-p', '-t', name);
  return {
    screen,
    styled: () => tmux('capture-pane', '-e', '-p', '-t', name),
    keys: (...keys) => void tmux('send-keys', '-t', name, ...keys),
    type: (text) => void tmux('send-keys', '-t', name, '-l', text),
    resize: (c, r) => void tmux('resize-window', '-t', name, '-x', String(c), '-y', String(r)),
    tty: () => tmux('display-message', '-p', '-t', name, '#{pane_tty}').trim(),
    waitFor: (ok, what, timeoutMs = 10_000) =>
      vi.waitFor(
        () => {
          const shown = screen();
          if (!ok(shown)) throw new Error(`waited ${timeoutMs} ms for ${what}; the terminal shows:\n${shown}`);
          return shown;
        },
        { timeout: timeoutMs, interval: 50 },
      ),
    stop: () => void spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', name]),
  };
}

/** Ends the private tmux server and everything still running in it, and removes its socket. */
export function stopTmux(): void {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  if (socketPath) rmSync(socketPath, { force: true });
}
