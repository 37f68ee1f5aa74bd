/** What the TUI is showing and therefore which keys it takes: one mode at a time. */
import type { Cursor } from './cursor.js';

/** A question before an action; `run` is only called on yes. */
export type Question = { readonly title: string; readonly question: string; readonly danger: boolean; readonly run: () => Promise<void> };

/** A question with several answers, `index` the one marked; `run` is called with the chosen one. */
export type Choice = {
  readonly title: string;
  readonly question: string;
  readonly options: readonly string[];
  readonly index: number;
  readonly run: (index: number) => Promise<void>;
};

export type Mode =
  | { readonly kind: 'table' }
  | { readonly kind: 'filter' }
  | { readonly kind: 'help' }
  | { readonly kind: 'add'; readonly name: string; readonly issues: readonly string[]; readonly busy: boolean }
  /** The only place a secret is held; leaving this mode drops it. */
  | { readonly kind: 'secret'; readonly keyName: string; readonly secret: string; readonly copied: boolean; readonly then: Mode }
  | { readonly kind: 'menu'; readonly keyId: string; readonly index: number }
  | { readonly kind: 'confirm'; readonly question: Question; readonly back: Mode }
  | { readonly kind: 'choose'; readonly choice: Choice; readonly back: Mode }
  | { readonly kind: 'usage'; readonly keyId: string }
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
