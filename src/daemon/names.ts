/**
 * Rules for the human names of keys and operators (DESIGN.md §1): trimmed, 1–64 characters,
 * no control characters, unique case-insensitively. Format characters (bidi overrides,
 * zero-width joiners) and line separators are refused too: they let one name pass for another
 * on an admin's screen.
 */
import { z } from '@hono/zod-openapi';
import { UNSAFE_CHARS } from '../sanitize.js';

export const NAME_MAX = 64;

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
        .refine((text) => !UNSAFE_CHARS.test(text), 'must not contain control or invisible formatting characters'),
    );
}

/** The rules of `nameSchema`, for the API's documentation. */
export const NAME_RULES = `Trimmed, 1–${NAME_MAX} characters, no control or invisible formatting characters, unique case-insensitively`;

/** The zod schema for a name field: trims, then checks length and characters. */
export const nameSchema = lineSchema(NAME_MAX);

/** The form used for case-insensitive uniqueness. */
export function foldName(name: string): string {
  return name.normalize('NFC').toLowerCase();
}
