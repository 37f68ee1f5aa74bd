/**
 * The parts of the OpenAPI document that belong to no single route: what the API is, where it
 * answers, its default security, and the tags the routes are grouped by.
 */
import { DEFAULT_PORT } from '../../home.js';
import { VERSION } from '../../version.js';

export const DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'keyward',
    version: VERSION,
    description: [
      'The local HTTP API of the keyward daemon: API keys, their rotation, verification, operators and the audit log.',
      '',
      'Every operation but `GET /v1/health` needs `Authorization: Bearer kwo_…` (an operator token). Errors are always the `Error` envelope, never a stack trace. Requests must be addressed to a loopback name or address (the `Host` header), or to a name the daemon was started with `--allow-host`.',
    ].join('\n'),
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [
    {
      url: 'http://127.0.0.1:{port}',
      description: 'The daemon on this machine (its address is in daemon.json in the keyward home)',
      variables: { port: { default: String(DEFAULT_PORT), description: '`--port` or `KEYWARD_PORT`' } },
    },
  ],
  security: [{ bearer: [] }],
  tags: [
    { name: 'daemon', description: 'Liveness, metrics and this document' },
    { name: 'operators', description: 'Who may do what: operators, roles and their tokens' },
    { name: 'keys', description: 'API keys: create, list, deactivate, activate, delete, usage, lookup by hash, deleted keys remembered' },
    { name: 'verify', description: 'The hot path services call for every request they get' },
    { name: 'rotations', description: 'Replacing a key step by step, with evidence at each step' },
    { name: 'audit', description: 'The hash-chained log of every change' },
    { name: 'events', description: 'Live changes as server-sent events' },
    { name: 'webhooks', description: 'Events POSTed, signed, to receivers the admin names; the delivery log' },
    { name: 'alerts', description: 'What keyward noticed: canaries tripped, deleted or rotated-out keys presented, keys expiring or leaked' },
  ],
};
