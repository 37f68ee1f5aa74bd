/**
 * Reading from the person at the terminal: a yes/no confirmation (default No) and a line typed
 * without echo (for a secret), plus reading all of a piped stdin. Prompts go to stderr so
 * stdout stays the command's result.
 */
import { createInterface } from 'node:readline/promises';
import { CliError, EXIT, refused, usageError } from './exit.js';

export function stdinIsTerminal(): boolean {
  return process.stdin.isTTY === true;
}

/** Asks `question [y/N]`; only "y" or "yes" is a yes. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const interrupted = new Promise<never>((_, reject) =>
    rl.once('SIGINT', () => {
      process.stderr.write('\n');
      reject(new CliError('interrupted', EXIT.interrupted));
    }),
  );
  try {
    const answer = await Promise.race([rl.question(`${question} [y/N] `), interrupted]);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

/**
 * Goes ahead with `--yes`, asks on a terminal, and refuses otherwise: a script must say
 * `--yes` explicitly rather than have an empty stdin taken as an answer.
 */
export async function confirmOrRefuse(yes: boolean | undefined, question: string): Promise<void> {
  if (yes) return;
  if (!stdinIsTerminal()) throw usageError('stdin is not a terminal, so there is nobody to ask; pass --yes to confirm');
  if (!(await confirm(question))) throw refused('not confirmed; nothing was changed');
}

const ENTER = new Set(['\r', '\n', '\u0004']);
const ERASE = new Set(['\u007f', '\b']);

/** Reads one line from the terminal in raw mode, echoing nothing, so a secret never shows. */
export async function readHiddenLine(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (settle: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      settle();
    };
    function onData(chunk: string) {
      for (const ch of chunk) {
        if (ch === '\u0003') return finish(() => reject(new CliError('interrupted', EXIT.interrupted)));
        if (ENTER.has(ch)) return finish(() => resolve(value));
        value = ERASE.has(ch) ? [...value].slice(0, -1).join('') : value + ch;
      }
    }
    stdin.on('data', onData);
  });
}

export async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}
