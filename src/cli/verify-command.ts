/**
 * `keyward verify`: check an API key as a service would. The key comes from stdin (piped, or
 * typed without echo on a terminal), never from argv, where shell history and `ps` would see it.
 */
import type { Command } from 'commander';
import { CALLER_MAX } from '../caller-label.js';
import { refused, usageError } from './exit.js';
import { collect } from './policy-flags.js';
import { print, printJson, quoted } from './output.js';
import { readHiddenLine, readStdin, stdinIsTerminal } from './prompt.js';
import { examples, session, withJson } from './session.js';

async function keyFromStdin(): Promise<string> {
  const text = (stdinIsTerminal() ? await readHiddenLine('API key (not echoed)') : await readStdin()).trim();
  if (!text) throw usageError('no key on stdin; pipe it in, e.g. keyward verify < billing.key');
  if (/\s/.test(text)) throw usageError('stdin holds more than one word; give one key');
  return text;
}

export function verifyCommand(program: Command): void {
  examples(
    withJson(
      program
        .command('verify')
        .description('check an API key read from stdin; exit 0 if valid, 1 if not')
        .option('--caller <label>', 'who presented the key (recorded with the usage)')
        .option('--scope <scope>', 'a scope the request needs, checked against the key’s scopes (repeat: all needed)', collect)
        .option('--ip <address>', 'the client address, checked against the key’s allowed IPs')
        // Taken only to answer it: commander's "too many arguments" would not say what to do.
        .allowExcessArguments(),
    ),
    [
      'keyward verify < billing.key',
      'printf %s "$KEY" | keyward verify --caller deploy-check --json',
      'keyward verify --scope orders:write --ip 10.1.2.3 < billing.key   # as a service would ask',
      'keyward verify   # then paste the key; it is not echoed',
    ],
  ).action(async (opts: { caller?: string; scope?: string[]; ip?: string; json?: boolean }, cmd: Command) => {
    // The key is not repeated: stderr often ends up in a log.
    if (cmd.args.length > 0) throw usageError('pipe the key on stdin: … | keyward verify (a key given as an argument shows in ps and shell history)');
    if (opts.caller !== undefined && opts.caller.length > CALLER_MAX) throw usageError(`--caller must be at most ${CALLER_MAX} characters (it is ${opts.caller.length})`);
    const { client } = session(cmd);
    // One scope is sent as one, so the daemon's objection names `scope`, not `scope.0`.
    const scope = opts.scope?.length === 1 ? opts.scope[0] : opts.scope;
    const context = { ...(scope !== undefined && { scope }), ...(opts.ip !== undefined && { ip: opts.ip }) };
    const result = await client.verify(await keyFromStdin(), opts.caller, context);
    if (opts.json) printJson(result);
    if (!result.valid) {
      // A limit says when it lets the key through again, as a service's 429 says in Retry-After.
      const retry = 'retryAfterSeconds' in result && result.retryAfterSeconds !== undefined ? ` (try again in ${result.retryAfterSeconds} s)` : '';
      throw refused(`the key is not valid: ${result.code}${retry}`);
    }
    if (!opts.json) print(`valid: key ${quoted(result.name)} (${result.keyId})`);
  });
}
