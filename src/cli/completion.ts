/**
 * Shell completion scripts, generated from the command tree so they never fall behind it.
 * The bash script completes subcommands, options, and the values of options and arguments
 * (their choices, or directories/files when the placeholder says `<dir>`/`<file>`); the zsh
 * script is the same function run through zsh's bash-completion compatibility layer.
 */

/** What may be typed for a value: a fixed list, a path, or anything (nothing to suggest). */
export type ValueKind = { choices: readonly string[] } | 'dir' | 'file' | 'free';

export type CompletionOption = { flags: readonly string[]; value?: ValueKind };

/** One command of the tree: its path from the root ("" for the root, "keys list"). */
export type CompletionNode = {
  path: string;
  commands: readonly string[];
  options: readonly CompletionOption[];
  argument?: ValueKind;
};

const q = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function caseArm(pattern: string, body: string): string {
  return `    ${q(pattern)}) ${body} ;;`;
}

function reply(value: ValueKind): string {
  if (value === 'dir') return 'COMPREPLY=($(compgen -d -- "$cur"))';
  if (value === 'file') return 'COMPREPLY=($(compgen -f -- "$cur"))';
  if (value === 'free') return 'COMPREPLY=()';
  return `COMPREPLY=($(compgen -W ${q(value.choices.join(' '))} -- "$cur"))`;
}

export function bashCompletion(nodes: readonly CompletionNode[]): string {
  // The root's own options (--home, --url, --token) also work after any subcommand.
  const globals = (nodes.find((n) => n.path === '')?.options ?? []).filter((o) => !o.flags.some((f) => f === '--help' || f === '--version'));
  const optionsOf = (n: CompletionNode) => [...n.options, ...(n.path ? globals : [])];
  const subcommandArms = nodes.filter((n) => n.commands.length).map((n) => caseArm(n.path, `echo ${q(n.commands.join(' '))}`));
  const valueArms = nodes.flatMap((n) =>
    optionsOf(n).flatMap((o) => (o.value ? o.flags.map((flag) => caseArm(`${n.path}:${flag}`, `${reply(o.value!)}; return`)) : [])),
  );
  const wordArms = nodes.map((n) => {
    const words = [...n.commands, ...optionsOf(n).flatMap((o) => o.flags)].join(' ');
    // A path or free-text argument is offered unless the word being typed starts an option.
    const argument = n.argument && typeof n.argument === 'string' ? `[[ $cur == -* ]] || { ${reply(n.argument)}; return; }; ` : '';
    const choices = n.argument && typeof n.argument !== 'string' ? ` ${n.argument.choices.join(' ')}` : '';
    return caseArm(n.path, `${argument}words=${q(words + choices)}`);
  });
  return `# keyward completion for bash. Load it with:  source <(keyward completion bash)
_keyward_subcommands() {
  case "$1" in
${subcommandArms.join('\n')}
  esac
}
_keyward() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" word words="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ " $(_keyward_subcommands "$path") " == *" $word "* ]]; then path="\${path:+$path }$word"; fi
  done
  case "$path:$prev" in
${valueArms.join('\n')}
  esac
  case "$path" in
${wordArms.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _keyward keyward
`;
}

export function zshCompletion(nodes: readonly CompletionNode[]): string {
  return `# keyward completion for zsh. Load it after compinit with:  source <(keyward completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(nodes).split('\n').slice(1).join('\n')}`;
}
