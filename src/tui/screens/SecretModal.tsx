/**
 * The one time a secret is on screen. It stays until the operator says they stored it (`y`);
 * nothing else closes it, so a stray Enter or Escape cannot lose a secret, and Ctrl-C asks
 * before it quits.
 */
import { Box, Text } from 'ink';
import { Panel } from '../components/Panel.js';
import { Prose } from '../components/Prose.js';
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
  readonly active: boolean;
  readonly onCommand: (command: SecretCommand) => void;
  /** Any other key: remind the operator how to close. */
  readonly onOther: () => void;
};

export function SecretModal({ keyName, secret, copied, quitAsked, tmux, width, active, onCommand, onOther }: SecretModalProps) {
  useBindings(SECRET_KEYS, onCommand, active, onOther);
  return (
    <Panel title={`Secret of "${keyName}": shown this once`} color="yellow">
      <Box marginY={1}>
        <Text bold wrap="wrap">
          {secret}
        </Text>
      </Box>
      <Prose width={width} text="Store it now (a secret manager, your service's config): keyward keeps only its hash and cannot show it again." />
      {copied ? <Prose width={width} color="green" text="Sent to your terminal's clipboard (OSC 52). Paste it somewhere to check." /> : null}
      {tmux ? <Prose width={width} dim text="Inside tmux, copying needs `set -g set-clipboard on` in ~/.tmux.conf." /> : null}
      {quitAsked ? <Prose width={width} color="red" bold text="A secret is on screen and will be lost — Ctrl-C again to quit (y once you have stored it)." /> : null}
      <Box marginTop={1}>
        <Text wrap="truncate-end">
          <Text bold>c</Text> copy to clipboard · <Text bold>y</Text> I have stored it (the secret is then gone)
        </Text>
      </Box>
    </Panel>
  );
}
