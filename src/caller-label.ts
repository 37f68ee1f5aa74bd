/**
 * Caller labels: free text a service passes with each verify (a client's name or address),
 * kept with a key's usage and a rotation's evidence and shown to every reader of them. The
 * daemon's verify route and every replica clean a label alike, so a replica counts a use under
 * the label the daemon would.
 */
import { safeText } from './sanitize.js';

/** The longest label a verify takes, in UTF-16 units. */
export const CALLER_MAX = 128;

/** A label as verify keeps it: control characters removed, anything shaped like a secret redacted, trimmed; empty is none. */
export function cleanCallerLabel(raw: string): string | undefined {
  return safeText(raw).trim() || undefined;
}
