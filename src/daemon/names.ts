/**
 * Rules for the human names of keys and operators (docs/design.md): trimmed, 1–64 characters,
 * no control characters, unique case-insensitively. A name must also look like itself: no
 * character that draws as nothing (format characters, default-ignorables, Hangul fillers, the
 * blank braille pattern), no pile of combining marks, and no name that draws as empty — each
 * lets one name pass for another on an admin's screen. Uniqueness also compares confusable
 * skeletons, so `kр1` (Cyrillic р) is taken once `kp1` exists. A name that is itself a secret
 * is refused, and so is one that holds text shaped like one: names are shown to every operator
 * and written to the audit log.
 */
import { z } from '@hono/zod-openapi';
import { UNSAFE_CHARS } from '../sanitize.js';
import { lookAlikeKey } from './confusables.js';
import { containsSecret } from '../secret-text.js';

export const NAME_MAX = 64;
/** Vietnamese and Indic scripts stack two or three marks; Zalgo text stacks dozens. */
const MARKS_IN_A_ROW_MAX = 3;

/** Characters that draw as nothing, or as a blank that is not a space. */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\u115F\u1160\u3164\uFFA0\u2800]/u;
const DRAWS_NOTHING = /^[\p{White_Space}\p{M}]*$/u;
const MARK_PILE = new RegExp(`\\p{M}{${MARKS_IN_A_ROW_MAX + 1},}`, 'u');

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why `name` (already NFC and trimmed) is refused, or undefined when it is a good name. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if ([...name].length > NAME_MAX) return `must be at most ${NAME_MAX} characters`;
  if (UNSAFE_CHARS.test(name)) return 'must not contain control or invisible formatting characters';
  const invisible = INVISIBLE.exec(name);
  if (invisible) return `must not contain characters that draw as nothing or as a blank (${codePoint(invisible[0])})`;
  if (DRAWS_NOTHING.test(name)) return 'must contain at least one visible character';
  if (MARK_PILE.test(name)) return `must not stack more than ${MARKS_IN_A_ROW_MAX} combining marks on one character`;
  return secretProblem(name);
}

/**
 * A name, owner, description, scope or meta is shown to every operator (and a key's to the
 * services that verify it) and kept in the audit log, and every screen redacts text shaped like
 * a secret: so such text is refused, not stored to be redacted.
 */
export function secretProblem(text: string): string | undefined {
  if (!containsSecret(text)) return undefined;
  return 'must not hold anything shaped like an API key, operator token or signing secret (kw_, kwo_ or whsec_ and 16 or more letters and digits): it is shown to every operator and kept in the audit log';
}

/**
 * A one-line text field (a name, an owner, a description): NFC, trimmed, 1–`max` characters,
 * nothing that could steer a terminal. The messages say what to send instead.
 */
export function lineSchema(max: number, messages: { notString?: string; empty?: string } = {}) {
  return z
    .string({ error: messages.notString ?? 'must be a string' })
    .transform((raw) => raw.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .min(1, messages.empty ?? 'must not be empty')
        .refine((text) => [...text].length <= max, `must be at most ${max} characters`)
        .refine((text) => !UNSAFE_CHARS.test(text), 'must not contain control or invisible formatting characters')
        .superRefine((text, ctx) => {
          const problem = secretProblem(text);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    );
}

/** The rules of `nameSchema`, for the API's documentation. */
export const NAME_RULES =
  `Trimmed, 1–${NAME_MAX} characters, no control, invisible or blank characters, at most ${MARKS_IN_A_ROW_MAX} combining marks in a row, ` +
  'nothing shaped like a kw_/kwo_/whsec_ secret; unique case-insensitively and by look-alike (Unicode confusable skeleton)';

/** The zod schema for a name field: normalizes and trims, then applies `nameProblem`. */
export const nameSchema = z
  .string({ error: 'must be a string' })
  .transform((raw) => raw.normalize('NFC').trim())
  .superRefine((name, ctx) => {
    const problem = nameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** The form used for case-insensitive uniqueness. */
export function foldName(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

/** The columns a store keeps beside a name so that both kinds of uniqueness are indexed. */
export function nameColumns(name: string): { nameFolded: string; nameSkeleton: string } {
  return { nameFolded: foldName(name), nameSkeleton: lookAlikeKey(name) };
}

/**
 * Skeletons for rows stored before skeletons were: oldest first, each row gets its name's
 * skeleton, or — when an older row already has it — the skeleton made unique with the row's
 * id after a control character (which no name has), so the unique index holds and new names
 * still meet the older row's plain skeleton.
 */
export function backfillSkeletons(rows: readonly { id: string; name: string }[], taken: ReadonlySet<string>): { id: string; nameSkeleton: string }[] {
  const used = new Set(taken);
  return rows.map(({ id, name }) => {
    const plain = lookAlikeKey(name);
    const nameSkeleton = used.has(plain) ? `${plain}\u0001${id}` : plain;
    used.add(nameSkeleton);
    return { id, nameSkeleton };
  });
}
