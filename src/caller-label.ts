/**
 * Caller labels: free text a service passes with each verify (a client's name or address),
 * kept with a key's usage and a rotation's evidence and shown to every reader of them. The
 * daemon's verify route and every replica clean a label alike, so a replica counts a use under
 * the label the daemon would.
 */
import { safeText } from './sanitize.js';

/** The longest label a verify takes, in UTF-16 units. */
export const CALLER_MAX = 128;

/** How the row adding up a key's callers past the ones it keeps reads, in the API and on screen. */
export const OTHER_CALLERS_LABEL = '(other callers)';
/** How the row of the uses no caller label came with reads. */
export const UNLABELLED_CALLERS_LABEL = '(no caller label)';

/** Whether `label` (as the API shows it) is one of the rows keyward adds up, which name nobody. */
export function isAddedUpLabel(label: string): boolean {
  return label === OTHER_CALLERS_LABEL || label === UNLABELLED_CALLERS_LABEL;
}

/**
 * A label as verify keeps it: control characters removed, anything shaped like a secret
 * redacted, trimmed; empty is none. A label that reads as one of the rows keyward adds up (in
 * any case or spacing) is kept in quotes, so a caller cannot pass itself off as them.
 */
export function cleanCallerLabel(raw: string): string | undefined {
  const label = safeText(raw).trim();
  if (!label) return undefined;
  // Every verify with a caller runs this: most labels are done at their first character.
  if (label[0] !== '(') return label;
  return isAddedUpLabel(label.toLowerCase().replace(/\s+/g, ' ')) ? `"${label}"` : label;
}
