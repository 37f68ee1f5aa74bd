/** `/v1/keys…` routes: validate, call the key service, shape the answer. */
import { createRoute } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, IdParam, json, jsonBody, noContent } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import type { UsageService } from '../usage/service.js';
import type { KeyService } from './service.js';
import { CREATED_KEY_EXAMPLE, CreatedKeyResponse, CreateKeyBody, DeactivateBody, EditKeyBody, KEY_EXAMPLE, KeyListSchema, KeyResponse, keyJson, ListKeysQuery, USAGE_EXAMPLE, UsageQuery, UsageSchema } from './schemas.js';

const read = requirePermission('keys:read');
const write = requirePermission('keys:write');
const tags = ['keys'];

export function keyRoutes(keys: KeyService, usage: UsageService) {
  return routeGroup()
    .openapi(
      createRoute({
        method: 'get', path: '/keys', operationId: 'listKeys', tags, security: bearer, middleware: [read] as const,
        summary: 'List keys: sorted, filtered and paged on the server, with counts',
        description:
          'Needs `keys:read`. Oldest first unless `sort` says otherwise; filters by status, owner, a name substring (`q`) and `filter`. Keyset paging both ways: pass `nextCursor` as `cursor` for the next page, `prevCursor` as `before` for the previous one, or `end=true` for the last; a cursor pages only the sort and direction it came from (else `invalid_request`). Every page costs the same at any depth and any size of store.',
        request: { query: ListKeysQuery },
        responses: {
          200: json(KeyListSchema, 'A page of keys', { keys: [KEY_EXAMPLE], nextCursor: null, prevCursor: null, counts: { total: 1, active: 1, inactive: 0 } }),
          ...errors({ store: 'read' }),
        },
      }),
      async (c) => {
        const page = await keys.list(c.req.valid('query'));
        return c.json({ keys: page.keys.map(keyJson), nextCursor: page.nextCursor, prevCursor: page.prevCursor, ...(page.counts && { counts: page.counts }) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post', path: '/keys', operationId: 'createKey', tags, security: bearer, middleware: [write] as const,
        summary: 'Create a key; the secret is in this response only',
        description:
          'Needs `keys:write`. Names are unique case-insensitively. The secret is never stored (only its SHA-256) and never shown again; an `expiresAt` in the past is refused.',
        request: { body: jsonBody(CreateKeyBody) },
        responses: { 201: json(CreatedKeyResponse, 'The key and its secret', CREATED_KEY_EXAMPLE), ...errors({ store: 'write', conflicts: ['name_taken'] }) },
      }),
      async (c) => {
        const { name, expiresAt, canary, ...fields } = c.req.valid('json');
        const { key, secret } = await keys.create(name, expiresAt ? Date.parse(expiresAt) : null, c.get('operator'), fields, canary === true);
        return c.json({ key: keyJson(key), secret }, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'patch', path: '/keys/{id}', operationId: 'editKey', tags, security: bearer, middleware: [write] as const,
        summary: 'Edit a key: name, description, owner, meta, policy, expiry; null clears a field',
        description:
          'Needs `keys:write`. Absent fields stay as they are; `null` clears one (no restriction, no label, never expires). A new name must be unique as at create; a new `expiresAt` must be in the future; setting a quota starts its counting over. A narrower policy is in force for verify when this returns. The audit event names the fields that changed; an edit that changes nothing writes none.',
        request: { params: IdParam, body: jsonBody(EditKeyBody) },
        responses: {
          200: json(KeyResponse, 'The key as edited', { key: { ...KEY_EXAMPLE, owner: 'team-payments', scopes: ['billing:read'] } }),
          ...errors({ notFound: true, store: 'write', conflicts: ['name_taken'] }),
        },
      }),
      async (c) => {
        const { expiresAt, ...edit } = c.req.valid('json');
        const input = expiresAt === undefined ? edit : { ...edit, expiresAt: expiresAt === null ? null : Date.parse(expiresAt) };
        return c.json({ key: keyJson(await keys.edit(c.req.valid('param').id, input, c.get('operator'))) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/keys/{id}', operationId: 'getKey', tags, security: bearer, middleware: [read] as const,
        summary: 'Show one key',
        description: 'Needs `keys:read`.',
        request: { params: IdParam },
        responses: { 200: json(KeyResponse, 'The key', { key: KEY_EXAMPLE }), ...errors({ notFound: true, store: 'read' }) },
      }),
      async (c) => c.json({ key: keyJson(await keys.get(c.req.valid('param').id)) }, 200),
    )
    .openapi(
      createRoute({
        method: 'post', path: '/keys/{id}/deactivate', operationId: 'deactivateKey', tags, security: bearer, middleware: [write] as const,
        summary: 'Deactivate a key: verification fails from the moment this returns',
        description:
          'Needs `keys:write`. The body is optional; its `reason` is kept on the key and audited, and a reason starting with `leaked` reports a leak (`key.leaked`). Deactivating an inactive key changes nothing and answers the key.',
        request: { params: IdParam, body: { ...jsonBody(DeactivateBody, 'Optional: why the key is taken out of service'), required: false } },
        responses: {
          200: json(KeyResponse, 'The key, inactive', {
            key: { ...KEY_EXAMPLE, status: 'inactive', deactivatedAt: '2026-11-30T09:00:00.000Z', deactivationReason: 'leaked: deploy/.env:3' },
          }),
          ...errors({ notFound: true, store: 'write' }),
        },
      }),
      async (c) => {
        const { reason } = c.req.valid('json') ?? {};
        return c.json({ key: keyJson(await keys.setStatus(c.req.valid('param').id, 'inactive', c.get('operator'), reason)) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post', path: '/keys/{id}/activate', operationId: 'activateKey', tags, security: bearer, middleware: [write] as const,
        summary: 'Activate an inactive key again',
        description: 'Needs `keys:write`. Activating an active key changes nothing and answers the key.',
        request: { params: IdParam },
        responses: { 200: json(KeyResponse, 'The key, active', { key: KEY_EXAMPLE }), ...errors({ notFound: true, store: 'write' }) },
      }),
      async (c) => c.json({ key: keyJson(await keys.setStatus(c.req.valid('param').id, 'active', c.get('operator'))) }, 200),
    )
    .openapi(
      createRoute({
        method: 'delete', path: '/keys/{id}', operationId: 'deleteKey', tags, security: bearer, middleware: [write] as const,
        summary: 'Delete an inactive key, permanently',
        description: 'Needs `keys:write`. An active key must be deactivated first (`key_active`); a key in an open rotation cannot be deleted (`rotation_open`).',
        request: { params: IdParam },
        responses: { 204: noContent('Deleted'), ...errors({ notFound: true, store: 'write', conflicts: ['key_active', 'rotation_open'] }) },
      }),
      async (c) => {
        await keys.delete(c.req.valid('param').id, c.get('operator'));
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/keys/{id}/usage', operationId: 'getKeyUsage', tags, security: bearer, middleware: [read] as const,
        summary: 'Per-minute verifications and callers of a key',
        description: 'Needs `keys:read`. One bucket per minute of the last `minutes` (zeros included), oldest first; usage is kept for 30 days.',
        request: { params: IdParam, query: UsageQuery },
        responses: { 200: json(UsageSchema, 'Usage buckets, oldest first, and callers', USAGE_EXAMPLE), ...errors({ notFound: true, store: 'read' }) },
      }),
      async (c) => c.json(await usage.forKey(c.req.valid('param').id, c.req.valid('query').minutes), 200),
    );
}

