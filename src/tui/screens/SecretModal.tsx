/**
 * The one time a secret is on screen. It stays until the operator says they stored it (`y`);
 * nothing else closes it, so a stray Enter or Escape cannot lose a secret, and Ctrl-C asks
 * before it quits.
 */
import { Box, Text } from 'ink';
import { Panel, PANEL_ROWS } from '../components/Panel.js';
import { Prose } from '../components/Prose.js';
import { widthOf, wrapWords } from '../format.js';
import { useBindings } from '../hooks/useBindings.js';
import { SECRET_KEYS, type SecretCommand } from '../state/keymap.js';


export type SecretModalProps = {
  readonly keyName: string;
  readonly secret: string;
  readonly copied: boolean;
  /** Ctrl-C was pressed once: say what a second one does. */
  readonly quitAsked: boolean;
  /** Set inside tmux, where OSC 52 needs `set-clipboard on`. */
  readonly tmux: boolean;
  /** Columns inside the panel. */
  readonly width: number;
  /** Rows for the panel, border included. */
  readonly height: number;
  readonly active: boolean;
  readonly onCommand: (command: SecretCommand) => void;
  /** Any other key: remind the operator how to close. */
  readonly onOther: () => void;
};

const STORE = "Store it now (a secret manager, your service's config): keyward keeps only its hash and cannot show it again.";
const COPIED = "Sent to your terminal's clipboard (OSC 52). Paste it somewhere to check.";
const TMUX = 'Inside tmux, copying needs `set -g set-clipboard on` in ~/.tmux.conf.';
const QUIT = 'A secret is on screen and will be lost — Ctrl-C again to quit (y once you have stored it).';

type Note = { readonly text: string; readonly color?: string; readonly bold?: boolean; readonly dim?: boolean };

/**
 * What fits in `rows` besides the secret, the most needed first: the Ctrl-C warning, that the
 * copy went out, why to store it, the tmux hint; then the keys' line (the footer says it too)
 * and the blank lines. Cut from the end, the panel lost its bottom border at 60×15.
 */
function fitted(notes: readonly (Note | false)[], rows: number, width: number) {
  let left = rows;
  const take = (lines: number) => lines <= left && ((left -= lines), true);
  const shown = new Set(notes.filter((n): n is Note => n !== false).filter((n) => take(wrapWords(n.text, width).length)));
  return { shown, keysLine: take(1), spaced: take(3) };
}

export function SecretModal({ keyName, secret, copied, quitAsked, tmux, width, height, active, onCommand, onOther }: SecretModalProps) {
  useBindings(SECRET_KEYS, onCommand, active, onOther);
  const quit: Note = { text: QUIT, color: 'red', bold: true };
  const sent: Note = { text: COPIED, color: 'green' };
  const store: Note = { text: STORE };
  const hint: Note = { text: TMUX, dim: true };
  const secretRows = Math.ceil(widthOf(secret) / Math.max(1, width));
  const { shown, keysLine, spaced } = fitted([quitAsked && quit, copied && sent, store, tmux && hint], height - PANEL_ROWS - secretRows, width);
  const note = (n: Note) => (shown.has(n) ? <Prose width={width} text={n.text} color={n.color} bold={n.bold} dim={n.dim} /> : null);
  return (
    <Panel title={`Secret of "${keyName}": shown this once`} color="yellow">
      <Box marginY={spaced ? 1 : 0}>
        <Text bold wrap="wrap">
          {secret}
        </Text>
      </Box>
      {note(store)}
      {note(sent)}
      {note(hint)}
      {note(quit)}
      {keysLine ? (
        <Box marginTop={spaced ? 1 : 0}>
          <Text wrap="truncate-end">
            <Text bold>c</Text> copy to clipboard · <Text bold>y</Text> I have stored it (the secret is then gone)
          </Text>
        </Box>
      ) : null}
    </Panel>
  );
}
