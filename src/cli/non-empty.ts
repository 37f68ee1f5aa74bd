/**
 * A value given empty where it names something (a home, a token, an id, a name, a file): a
 * mistake in the invocation, refused as a usage error (exit 2) before anything else happens.
 * Without this, `--home ""` fell back to the default home and `alerts --ack ""` asked the
 * daemon for `/v1/alerts//ack`.
 */
import { usageError } from './exit.js';

/** Empty, or nothing but blanks: no home, id or name is that. */
export function isBlank(value: string): boolean {
  return value.trim() === '';
}

/** Commander's argParser for an option that names something: a blank value is a usage error naming the flag. */
export function nonEmpty(flag: string): (value: string) => string {
  return (value) => {
    if (isBlank(value)) throw usageError(`${flag} is empty`);
    return value;
  };
}
