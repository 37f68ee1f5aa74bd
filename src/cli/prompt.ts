/**
 * Reading from the person at the terminal, through @inquirer/prompts: a yes/no confirmation
 * (default No) and a line typed without echo (for a secret), plus reading all of a piped
 * stdin. Prompts go to stderr so stdout stays the command's result; Ctrl-C at a prompt is
 * `interrupted` (exit 130).
 */
import { CliError, EXIT, refused, usageError } from './exit.js';

/** Loaded on the first prompt only: every command and the daemon start without it (~80 ms). */
const prompts = () => import('@inquirer/prompts');

export function stdinIsTerminal(): boolean {
  return process.stdin.isTTY === true;
}

const TERMINAL = { input: process.stdin, output: process.stderr };

/** Runs a prompt; the person pressing Ctrl-C ends the command as a SIGINT would. */
async function ask<T>(prompt: Promise<T>): Promise<T> {
  try {
    return await prompt;
  } catch (err) {
    if (err instanceof Error && err.name === 'ExitPromptError') throw new CliError('interrupted', EXIT.interrupted);
    throw err;
  }
}

/**
 * Goes ahead with `--yes`, asks on a terminal, and refuses otherwise: a script must say
 * `--yes` explicitly rather than have an empty stdin taken as an answer.
 */
export async function confirmOrRefuse(yes: boolean | undefined, question: string): Promise<void> {
  if (yes) return;
  if (!stdinIsTerminal()) throw usageError('stdin is not a terminal, so there is nobody to ask; pass --yes to confirm');
  const { confirm } = await prompts();
  if (!(await ask(confirm({ message: question, default: false }, TERMINAL)))) throw refused('not confirmed; nothing was changed');
}

/** Reads one line from the terminal, echoing nothing, so a secret never shows. */
export async function readHiddenLine(prompt: string): Promise<string> {
  const { password } = await prompts();
  return ask(password({ message: prompt }, TERMINAL));
}

export async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}
