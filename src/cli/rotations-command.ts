/** `keyward rotations …`: follow and drive the stepwise replacement of a key (docs/rotation.md). */
import { Option, type Command } from 'commander';
import { ApiError, type RotationJson, type RotationStepName } from '../client/client.js';
import { END_STEPS, OPEN_STEPS } from '../daemon/rotation/machine.js';
import { refused } from './exit.js';
import { futureTime, shortTime } from './format.js';
import { findRotation } from './lookup.js';
import { emit, note, print, printJson, quoted } from './output.js';
import { confirmOrRefuse, stdinIsTerminal } from './prompt.js';
import { renderRotation, renderRotationTable, stepHelp, yetToSwitchText } from './rotation-view.js';
import { examples, session, withJson } from './session.js';

const REF = ['<rotation>', 'rotation id, or the id or name of a key in an open rotation'] as const;

/**
 * Before the cut-over: name the systems not seen on the new key. On a terminal the
 * person confirms (default No); a script is not stopped (its advance is the decision) but
 * the names go to stderr, into its log.
 */
async function confirmCutOver(r: RotationJson, yes: boolean | undefined): Promise<void> {
  const pending = r.evidence.systems.yetToSwitch;
  if (r.step !== 'deactivate_old' || pending.length === 0) return;
  const names = yetToSwitchText(pending, Date.now());
  const question = `Callers of ${quoted(r.oldKeyName)} not seen on the new key, refused from then on if still on the old: ${names}. Deactivate the old key now?`;
  if (yes || !stdinIsTerminal()) note(`yet to switch to the new key: ${names}`);
  else await confirmOrRefuse(yes, question);
}

function moved(before: RotationJson, after: RotationJson, forced = false): string {
  const scheduled = after.step === 'deactivate_old' && after.deactivateAt ? `the daemon deactivates the old key at ${shortTime(after.deactivateAt)} (advance to do it now)` : undefined;
  const next = scheduled ?? stepHelp(after.step);
  return `rotation ${after.id} of ${quoted(after.oldKeyName)}: ${before.step} → ${after.step}${forced ? ' (forced)' : ''}${next ? `\nnow: ${next}` : ''}`;
}

export function rotationsCommand(program: Command): void {
  const rotations = examples(program.command('rotations').description('follow and drive key rotations (start one with "keyward keys rotate")'), [
    'keyward keys rotate billing > new.key',
    'keyward rotations show billing',
    'keyward rotations advance billing',
    'keyward rotations rollback billing',
  ]);

  examples(withJson(rotations.command('list').description('rotations, newest first').option('--all', 'include completed and cancelled ones')), [
    'keyward rotations list',
    "keyward rotations list --all --json | jq '.rotations[] | {id, step}'",
  ]).action(async (opts: { all?: boolean; json?: boolean }, cmd: Command) => {
    const { rotations: list } = await session(cmd).client.rotations(opts.all ? 'all' : 'open');
    if (opts.json) printJson({ rotations: list });
    else if (list.length === 0) note(opts.all ? 'no rotations' : 'no open rotations');
    else print(await renderRotationTable(list));
  });

  examples(withJson(rotations.command('show').description('one rotation with its live evidence').argument(...REF)), [
    'keyward rotations show rot_8fQ2…',
    "keyward rotations show billing --json | jq '.rotation.evidence.newKey.ok'",
  ]).action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
    const rotation = await findRotation(session(cmd).client, ref);
    await emit(opts, { rotation }, () => renderRotation(rotation, Date.now()));
  });

  examples(
    withJson(
      rotations
        .command('advance')
        .description("move to the next step, if the step's guard allows (or --force)")
        .argument(...REF)
        .addOption(new Option('--from <step>', 'the step you expect it to be at (refused if it moved); default: its current step').choices([...OPEN_STEPS, ...END_STEPS]))
        .option('--force', 'advance although the guard refuses (recorded in the audit log)')
        .option('--keep-old', 'from delete_old: finish with the old key inactive instead of deleting it')
        .option('--take-old-name', 'from delete_old: once the old key is deleted, give the new key its name')
        .option('--at <time>', 'from verify_new: have the daemon deactivate the old key at this time'),
    ).option('-y, --yes', 'from deactivate_old: do not ask, although some callers have not switched yet'),
    [
      'keyward rotations advance billing',
      'keyward rotations advance rot_8fQ2… --from double_check --force',
      'keyward rotations advance billing --at 2030-01-31T18:00:00Z',
      'keyward rotations advance billing-2 --from delete_old --take-old-name',
    ],
  ).action(async (ref: string, opts: { from?: RotationStepName; force?: boolean; keepOld?: boolean; takeOldName?: boolean; at?: string; yes?: boolean; json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    const at = opts.at === undefined ? undefined : futureTime('--at', opts.at);
    const before = await findRotation(client, ref);
    if ((opts.from ?? before.step) === before.step) await confirmCutOver(before, opts.yes);
    const { rotation } = await client.advance(before.id, { from: opts.from ?? before.step, force: opts.force, keepOld: opts.keepOld, takeOldName: opts.takeOldName, at }).catch((err: unknown) => {
      // The daemon's reason speaks of "force"; say how to give it here.
      if (err instanceof ApiError && err.code === 'rotation_guard' && !opts.force && before.outcome === null) {
        throw refused(`${err.message} (rotation_guard); to advance anyway: keyward rotations advance ${before.id} --force`);
      }
      throw err;
    });
    await emit(opts, { rotation }, () => moved(before, rotation, opts.force === true && !before.evidence.canAdvance));
  });

  examples(withJson(rotations.command('rollback').description('from double_check: reactivate the old key and go back to verify_new').argument(...REF)), [
    'keyward rotations rollback billing',
  ]).action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    const before = await findRotation(client, ref);
    const { rotation } = await client.rollback(before.id);
    await emit(opts, { rotation }, () => `${moved(before, rotation)}\nthe old key ${quoted(rotation.oldKeyName)} is active again`);
  });

  examples(withJson(rotations.command('cancel').description('end a rotation, leaving both keys as they are').argument(...REF)), [
    'keyward rotations cancel billing',
  ]).action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    const cancelled = await client.cancel((await findRotation(client, ref)).id);
    await emit(opts, cancelled, () => cancelled.message);
  });
}
