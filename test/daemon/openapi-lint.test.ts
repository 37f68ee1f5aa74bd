/**
 * The document the daemon serves passes Redocly CLI (recommended rules, redocly.yaml) and
 * Spectral (spectral:oas, .spectral.yaml) with no error and no warning, and docs/api.md lists
 * its operations as it does.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/daemon.js';
import { operationsOf, type Document } from './openapi/document.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

let t: TestApp;
let dir: string;
let file: string;
let doc: Document;

beforeAll(async () => {
  t = await startTestApp();
  dir = mkdtempSync(join(tmpdir(), 'keyward-openapi-'));
  file = join(dir, 'openapi.json');
  doc = (await t.client.openapi()) as unknown as Document;
  writeFileSync(file, JSON.stringify(doc, null, 2));
});

afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI's output, also when it exits non-zero (which both do when they find errors). */
async function output(command: string, args: string[]): Promise<string> {
  try {
    return (await run(command, args, { cwd: root, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    return (err as { stdout?: string }).stdout ?? String(err);
  }
}

describe('the OpenAPI document under the linters', () => {
  it('has no Redocly or Spectral finding', { timeout: 60_000 }, async () => {
    const [redocly, spectral] = await Promise.all([
      output(bin('redocly'), ['lint', file, '--config', join(root, 'redocly.yaml'), '--format=json']),
      output(bin('spectral'), ['lint', file, '--ruleset', join(root, '.spectral.yaml'), '--format=json', '--quiet']),
    ]);
    const redoclyReport = JSON.parse(redocly) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string; location: unknown }> };
    expect(redoclyReport.problems.map((p) => `${p.ruleId}: ${p.message} at ${JSON.stringify(p.location)}`), 'redocly lint').toEqual([]);
    expect(redoclyReport.totals).toMatchObject({ errors: 0, warnings: 0 });
    const spectralReport = JSON.parse(spectral.trim() || '[]') as Array<{ code: string; message: string; path: string[] }>;
    expect(spectralReport.map((p) => `${p.code}: ${p.message} at ${p.path.join('.')}`), 'spectral lint').toEqual([]);
  });

  it('describes every operation and gives every answer with a body an example', () => {
    const missing: string[] = [];
    for (const op of operationsOf(doc)) {
      if (!op.doc.description) missing.push(`${op.id}: no description`);
      for (const [status, response] of Object.entries(op.doc.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (media.example === undefined && media.examples === undefined) missing.push(`${op.id} ${status} ${type}: no example`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('is what docs/api.md lists: each operation with its id and statuses', () => {
    const table = readFileSync(join(root, 'docs', 'api.md'), 'utf8');
    const rows = new Map(
      table
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .map(([, operation, id, , success, errors]) => [operation, `${id} ${success} | ${errors}`]),
    );
    for (const op of operationsOf(doc)) {
      const statuses = Object.keys(op.doc.responses).sort();
      const expected = `\`${op.doc.operationId}\` ${statuses.filter((s) => s < '400').join(', ')} | ${statuses.filter((s) => s >= '400').join(', ')}`;
      expect(rows.get(`\`${op.method.toUpperCase()} ${op.path}\``), `docs/api.md row of ${op.method.toUpperCase()} ${op.path}`).toBe(expected);
    }
  });
});
