/** `keyward completion bash|zsh`: print a completion script for the shell. */
import { Argument, type Command, type Option } from 'commander';
import { bashCompletion, zshCompletion, type CompletionNode, type CompletionOption, type ValueKind } from './completion.js';
import { print } from './output.js';
import { examples } from './session.js';

/** Choices if there are any, else what the placeholder (`<dir>`, `<file>`) says. */
function valueKind(choices: readonly string[] | undefined, placeholder: string): ValueKind {
  if (choices?.length) return { choices };
  return placeholder === 'dir' || placeholder === 'file' ? placeholder : 'free';
}

function optionOf(o: Option): CompletionOption {
  const flags = [o.short, o.long].filter((f): f is string => f !== undefined);
  const placeholder = /<(\w+)>/.exec(o.flags)?.[1];
  return { flags, value: placeholder === undefined ? undefined : valueKind(o.argChoices, placeholder) };
}

/** Every command of the tree, depth first, with what may follow it. */
function completionNodes(cmd: Command, path = ''): CompletionNode[] {
  const help = cmd.createHelp();
  const argument = cmd.registeredArguments[0];
  const node: CompletionNode = {
    path,
    commands: help.visibleCommands(cmd).map((c) => c.name()).filter((name) => name !== 'help'),
    options: help.visibleOptions(cmd).map(optionOf),
    argument: argument ? valueKind(argument.argChoices, argument.name()) : undefined,
  };
  return [node, ...cmd.commands.flatMap((c) => completionNodes(c, path ? `${path} ${c.name()}` : c.name()))];
}

export function completionCommand(program: Command): void {
  examples(
    program
      .command('completion')
      .description('print a shell completion script')
      .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh'])),
    ['source <(keyward completion bash)   # in ~/.bashrc', 'source <(keyward completion zsh)    # in ~/.zshrc, after compinit'],
  ).action((shell: 'bash' | 'zsh') => {
    const nodes = completionNodes(program);
    print(shell === 'bash' ? bashCompletion(nodes) : zshCompletion(nodes));
  });
}
