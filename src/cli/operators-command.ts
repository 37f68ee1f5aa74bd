/** `keyward operators …`: the people and services that may use the daemon (admins only). */
import { Option, type Command } from 'commander';
import type { OperatorJson } from '../client/client.js';
import { ROLES, type Role } from '../daemon/auth/permissions.js';
import { shortTime } from './format.js';
import { findOperator } from './lookup.js';
import { emit, quoted, renderTable, reveal, type Column } from './output.js';
import { confirmOrRefuse } from './prompt.js';
import { examples, session, withJson, withYes } from './session.js';

const columns: Column<OperatorJson>[] = [
  { header: 'NAME', value: (o) => o.name },
  { header: 'ID', value: (o) => o.id },
  { header: 'ROLE', value: (o) => o.role },
  { header: 'CREATED', value: (o) => shortTime(o.createdAt) },
  { header: 'DISABLED', value: (o) => shortTime(o.disabledAt, '') },
];

export function operatorsCommand(program: Command): void {
  const operators = examples(
    program
      .command('operators')
      .description('manage operators: who may read, change or verify keys (needs an admin token)')
      .addHelpText('after', '\nRoles: admin (everything), manager (keys), viewer (read keys), service (verify keys only).'),
    ['keyward operators create alice --role manager > alice.token', 'keyward operators create orders-service --role service', 'keyward operators disable alice'],
  );

  examples(withJson(operators.command('list').description('list operators')), ['keyward operators list', "keyward operators list --json | jq -r '.operators[] | select(.disabledAt == null) | .name'"]).action(
    async (opts: { json?: boolean }, cmd: Command) => {
      const { operators: list } = await session(cmd).client.operators();
      await emit(opts, { operators: list }, () => renderTable(list, columns));
    },
  );

  examples(
    withJson(
      operators
        .command('create')
        .description('create an operator; prints its token, once, alone on stdout')
        .argument('<name>', 'a unique name, 1–64 characters')
        .addOption(new Option('--role <role>', 'what the operator may do').choices(ROLES).makeOptionMandatory()),
    ),
    ['TOKEN=$(keyward operators create ci --role service)', 'keyward operators create bob --role viewer --json'],
  ).action(async (name: string, opts: { role: Role; json?: boolean }, cmd: Command) => {
    const created = await session(cmd).client.createOperator(name, opts.role);
    const op = created.operator;
    reveal(opts, created, 'token', created.token, () => `created operator ${quoted(op.name)} (${op.id}, role ${op.role}); this is the only time its token is shown`);
  });

  examples(
    withJson(
      withYes(
        operators
          .command('disable')
          .description('disable an operator: its token stops working at once, for good (asks first on a terminal)')
          .argument('<operator>', 'operator id or name'),
      ),
    ),
    ['keyward operators disable alice', 'keyward operators disable op_9ZyX… --yes'],
  ).action(async (ref: string, opts: { yes?: boolean; json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    const operator = await findOperator(client, ref);
    await confirmOrRefuse(opts.yes, `Disable operator ${quoted(operator.name)} (${operator.id}, role ${operator.role})? Its token stops working for good.`);
    const disabled = await client.disableOperator(operator.id);
    await emit(opts, disabled, () => `disabled operator ${quoted(disabled.operator.name)} (${disabled.operator.id})`);
  });
}
