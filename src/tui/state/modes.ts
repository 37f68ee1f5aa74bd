/** What the TUI is showing and therefore which keys it takes: one mode at a time. */
import type { KeyJson } from '../../client/client.js';
import type { Cursor } from './cursor.js';
import type { KeyForm } from './key-form.js';
import type { AlsoKey } from './keymap.js';

/** A question before an action; `run` is only called on yes. */
export type Question = { readonly title: string; readonly question: string; readonly danger: boolean; readonly run: () => Promise<void>; readonly also?: QuestionAlso };

/** A second way to say yes, on a key of its own (`r`: delete the old key, and the new one takes its name). */
export type QuestionAlso = AlsoKey & { readonly run: () => Promise<void> };

/** A question with several answers, `index` the one marked; `run` is called with the chosen one. */
export type Choice = {
  readonly title: string;
  readonly question: string;
  readonly options: readonly string[];
  readonly index: number;
  readonly run: (index: number) => Promise<void>;
};

/** An answer to a choice: take an option, mark another one, or take none. */
export type ChoiceAnswer = { readonly choose: number } | { readonly mark: number } | 'cancel';

/** What `answer` does to `choice`: it stays open with another option marked, or it ends (with the option taken, if any). */
export function settleChoice(choice: Choice, answer: ChoiceAnswer): { readonly open: Choice } | { readonly chosen: number | undefined } {
  if (answer === 'cancel') return { chosen: undefined };
  if ('mark' in answer) return { open: { ...choice, index: answer.mark } };
  return { chosen: answer.choose };
}

export type Mode =
  | { readonly kind: 'table' }
  | { readonly kind: 'filter' }
  /** Help over the screen it was opened from (`back`), scrolled to `offset`, searching for `query`. */
  | { readonly kind: 'help'; readonly back: Mode; readonly offset: number; readonly query: string; readonly searching: boolean }
  | ({ readonly kind: 'add' } & KeyForm)
  /**
   * Editing `key` as it was when the form opened; `back` is where saving or esc returns. `gone`:
   * the key was deleted meanwhile; the form stays open (what is typed stays in it, not in the
   * table behind it) saying so, and esc goes back to the table.
   */
  | ({ readonly kind: 'edit'; readonly key: KeyJson; readonly back: Mode; readonly gone?: true } & KeyForm)
  /** The details of the key under the table's cursor (j/k move that cursor). */
  | { readonly kind: 'details' }
  /**
   * The only place a secret is held; leaving this mode drops it. `quitAsked`: Ctrl-C was
   * pressed once, and pressing it again quits (losing the secret).
   */
  | {
      readonly kind: 'secret';
      readonly keyId: string;
      readonly keyName: string;
      readonly secret: string;
      readonly copied: boolean;
      readonly quitAsked: boolean;
      readonly then: Mode;
    }
  | { readonly kind: 'menu'; readonly keyId: string; readonly index: number }
  | { readonly kind: 'confirm'; readonly question: Question; readonly back: Mode }
  | { readonly kind: 'choose'; readonly choice: Choice; readonly back: Mode }
  | { readonly kind: 'usage'; readonly keyId: string }
  /** The alerts (`!`): open ones, or `all` with the acknowledged. */
  | { readonly kind: 'alerts'; readonly cursor: Cursor; readonly all: boolean }
  /** The audit log: `filter` as typed (applied on ⏎), `applied` the one in force. */
  | { readonly kind: 'audit'; readonly cursor: Cursor; readonly filter: string; readonly applied: string; readonly editing: boolean }
  | {
      readonly kind: 'rotation';
      readonly id: string;
      readonly refusal: Refusal | undefined;
      readonly busy: boolean;
      readonly question: Question | undefined;
      readonly choice?: Choice;
    };

/** The daemon's reason for refusing an advance from `step`. */
export type Refusal = { readonly step: string; readonly reason: string };

export const TABLE: Mode = { kind: 'table' };

/** The current mode if it is `kind`, else undefined: how key handlers check they still apply. */
export type InMode = <K extends Mode['kind']>(kind: K) => Extract<Mode, { kind: K }> | undefined;

/** Help opened over `back`. */
export function helpOver(back: Mode): Mode {
  return { kind: 'help', back, offset: 0, query: '', searching: false };
}
