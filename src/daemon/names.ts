/**
 * Rules for the human names of keys and operators (DESIGN.md §1): trimmed, 1–64 characters,
 * no control characters, unique case-insensitively. Format characters (bidi overrides,
 * zero-width joiners) and line separators are refused too: they let one name pass for another
 * on an admin's screen.
 */
import { z } from '@hono/zod-openapi';
import { UNSAFE_CHARS } from '../sanitize.js';

export const NAME_MAX = 64;

/** The rules of `nameSchema`, for the API's documentation. */
export const NAME_RULES = `Trimmed, 1–${NAME_MAX} characters, no control or invisible formatting characters, unique case-insensitively`;

/** The zod schema for a name field: trims, then checks length and characters. */
export const nameSchema = z
  .string({ error: 'must be a string' })
  .transform((raw) => raw.normalize('NFC').trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .refine((name) => [...name].length <= NAME_MAX, `must be at most ${NAME_MAX} characters`)
      .refine((name) => !UNSAFE_CHARS.test(name), 'must not contain control or invisible formatting characters'),
  );

/** The form used for case-insensitive uniqueness. */
export function foldName(name: string): string {
  return name.normalize('NFC').toLowerCase();
}
