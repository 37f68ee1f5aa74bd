/**
 * Issue 13.5 and 13.8, text that steers a terminal and secrets in CLI messages. Names are
 * checked when they are made, but the store can hold anything (an older version, someone who
 * can write the store), so what the daemon sends is sanitized where it reaches a terminal: an
 * OSC 52 sequence in an operator's name (which rewrites the admin's clipboard) never reaches
 * the terminal raw — not in the TUI's header, not in its refusal line, not in a CLI table —
 * and `--json` escapes C1 controls and bidi characters. A secret typed where a name or id
 * goes is never echoed back by a CLI message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/daemon/secrets/format.js';
import { keyward, keywardOnTerminal } from '../cli/harness.js';
import { startTestDaemon, storeQuery, type TestDaemon } from '../helpers/daemon.js';

/** Sets the clipboard of the terminal that draws it to "pwned". */
const OSC52 = '\u001b]52;c;cHduZWQ=\u0007';
/** The same, as a C1 control (8-bit OSC … ST), and a right-to-left override. */
const C1_AND_BIDI = '\u009d52;c;cHduZWQ=\u009c\u202e';

let t: TestDaemon;
let adminToken: string;
let serviceToken: string;

beforeAll(async () => {
  t = await startTestDaemon();
  adminToken = (await t.client.createOperator('evil', 'admin')).token;
  serviceToken = (await t.client.createOperator('evil-service', 'service')).token;
  const key = await t.client.createKey('evil-key');
  // What the store may hold although the API refuses it.
  await storeQuery(t, 'update operators set name = ? where name = ?', [`evil${OSC52}${C1_AND_BIDI}`, 'evil']);
  await storeQuery(t, 'update operators set name = ? where name = ?', [`evil-service${OSC52}`, 'evil-service']);
  await storeQuery(t, 'update keys set name = ? where id = ?', [`evil-key${OSC52}${C1_AND_BIDI}`, key.key.id]);
  await t.restart();
});
afterAll(() => t.stop());

function env(token: string): Record<string, string> {
  return { KEYWARD_HOME: t.home, KEYWARD_URL: t.url, KEYWARD_TOKEN: token };
}

function expectNothingRaw(output: string, where: string): void {
  expect(output, `${where}: an escape sequence`).not.toContain('\u001b]52');
  expect(output, `${where}: a BEL`).not.toContain('\u0007');
  expect(output, `${where}: a C1 control`).not.toMatch(/[\u0080-\u009f]/);
  expect(output, `${where}: a bidi override`).not.toContain('\u202e');
}

describe('untrusted text on a terminal', () => {
  it("draws the TUI header with the operator's name made safe", async () => {
    const run = await keywardOnTerminal([], 'sort:', 'q', env(adminToken));
    expect(run.stdout, run.stderr).toContain('evil]52;c;cHduZWQ=');
    expectNothingRaw(run.stdout, 'the TUI');
  }, 30_000);

  it("makes the operator's name safe in the TUI's one-line refusal too", async () => {
    const run = await keywardOnTerminal([], 'may not read keys', '', env(serviceToken));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/operator "evil-service\]52;c;cHduZWQ=" \(role service\) may not read keys/);
    expectNothingRaw(run.stdout, 'the refusal');
  }, 30_000);

  it('prints CLI tables and messages with names made safe', async () => {
    const runs = await Promise.all([
      keyward(['operators', 'list'], { env: env(adminToken) }),
      keyward(['keys', 'list'], { env: env(adminToken) }),
      keyward(['status'], { env: env(adminToken) }),
      keyward(['audit'], { env: env(adminToken) }),
    ]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expectNothingRaw(run.stdout + run.stderr, run.stdout.split('\n')[0]!);
    }
    expect(runs[0]!.stdout).toContain('evil]52;c;cHduZWQ=52;c;cHduZWQ=');
  });

  it('escapes C1 controls and bidi characters in --json output, keeping the exact value', async () => {
    const run = await keyward(['operators', 'list', '--json'], { env: env(adminToken) });
    expect(run.code, run.stderr).toBe(0);
    expectNothingRaw(run.stdout, '--json');
    expect(run.stdout).toContain('\\u001b]52;c;cHduZWQ=\\u0007\\u009d52;c;cHduZWQ=\\u009c\\u202e');
    const { operators } = JSON.parse(run.stdout) as { operators: { name: string }[] };
    expect(operators.map((o) => o.name)).toContain(`evil${OSC52}${C1_AND_BIDI}`);
  });
});

describe('secrets in CLI messages', () => {
  it.each([
    ['keys', 'show'],
    ['keys', 'deactivate'],
    ['rotations', 'show'],
    ['operators', 'disable'],
  ])('keyward %s %s SECRET does not echo the secret', async (...command) => {
    for (const secret of [generateSecret('kw_'), generateSecret('kwo_')]) {
      const run = await keyward([...command, secret], { env: env(adminToken) });
      expect(run.code).toBe(1);
      expect(run.stderr + run.stdout, 'the whole secret').not.toContain(secret);
      expect(run.stderr + run.stdout, 'even most of it').not.toContain(secret.slice(0, 24));
      expect(run.stderr).toMatch(/kwo?_…\(secret removed\)/);
    }
  });
});
