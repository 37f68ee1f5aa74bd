/**
 * Copying through the terminal with OSC 52, which works over SSH because the terminal on the
 * admin's side does the copying. Inside tmux the plain sequence is taken by tmux itself when
 * `set-clipboard on` (its paste buffer, forwarded to the outer terminal), and the same
 * sequence in tmux's passthrough envelope reaches the outer terminal when `allow-passthrough
 * on`; both are sent, so either setting works. GNU screen needs its own envelope.
 */
export type TerminalEnv = { readonly TMUX?: string; readonly STY?: string };

export function osc52(text: string, env: TerminalEnv): string {
  const sequence = `\x1b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\x07`;
  // tmux passthrough: DCS "tmux;" with every ESC of the payload doubled.
  if (env.TMUX) return `${sequence}\x1bPtmux;${sequence.replaceAll('\x1b', '\x1b\x1b')}\x1b\\`;
  if (env.STY) return `\x1bP${sequence}\x1b\\`;
  return sequence;
}
