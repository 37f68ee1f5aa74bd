/** `/v1/keys…` routes: validate, call the key service, shape the answer. */
import { createRoute } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, IdParam, json, jsonBody } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import type { UsageService } from '../usage/service.js';
import type { KeyService } from './service.js';
import { CreatedKeyResponse, CreateKeyBody, EditKeyBody, KeyListSchema, KeyResponse, keyJson, ListKeysQuery, UsageQuery, UsageSchema } from './schemas.js';

const read = requirePermission('keys:read');
const write = requirePermission('keys:write');
const tags = ['keys'];

export function keyRoutes(keys: KeyService, usage: UsageService) {
  return routeGroup()
    .openapi(
      createRoute({
        method: 'get', path: '/keys', tags, security: bearer, middleware: [read] as const,
        summary: 'List keys, oldest first, with cursor paging',
        request: { query: ListKeysQuery },
        responses: { 200: json(KeyListSchema, 'A page of keys'), ...errors({ body: true }) },
      }),
      async (c) => {
        const page = await keys.list(c.req.valid('query'));
        return c.json({ keys: page.keys.map(keyJson), nextCursor: page.nextCursor }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post', path: '/keys', tags, security: bearer, middleware: [write] as const,
        summary: 'Create a key; the secret is in this response only',
        request: { body: jsonBody(CreateKeyBody) },
        responses: { 201: json(CreatedKeyResponse, 'The key and its secret'), ...errors({ body: true, write: true, conflicts: ['name_taken'] }) },
      }),
      async (c) => {
        const { name, expiresAt, ...fields } = c.req.valid('json');
        const { key, secret } = await keys.create(name, expiresAt ? Date.parse(expiresAt) : null, c.get('operator'), fields);
        return c.json({ key: keyJson(key), secret }, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'patch', path: '/keys/{id}', tags, security: bearer, middleware: [write] as const,
        summary: 'Edit a key: name, description, owner, meta, policy, expiry; null clears a field. A narrower policy is in force when this returns',
        request: { params: IdParam, body: jsonBody(EditKeyBody) },
        responses: { 200: json(KeyResponse, 'The key as edited'), ...errors({ body: true, notFound: true, write: true, conflicts: ['name_taken'] }) },
      }),
      async (c) => {
        const { expiresAt, ...edit } = c.req.valid('json');
        const input = expiresAt === undefined ? edit : { ...edit, expiresAt: expiresAt === null ? null : Date.parse(expiresAt) };
        return c.json({ key: keyJson(await keys.edit(c.req.valid('param').id, input, c.get('operator'))) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/keys/{id}', tags, security: bearer, middleware: [read] as const,
        summary: 'Show one key',
        request: { params: IdParam },
        responses: { 200: json(KeyResponse, 'The key'), ...errors({ notFound: true }) },
      }),
      async (c) => c.json({ key: keyJson(await keys.get(c.req.valid('param').id)) }, 200),
    )
    .openapi(
      createRoute({
        method: 'post', path: '/keys/{id}/deactivate', tags, security: bearer, middleware: [write] as const,
        summary: 'Deactivate a key: verification fails from the moment this returns',
        request: { params: IdParam },
        responses: { 200: json(KeyResponse, 'The key, inactive'), ...errors({ notFound: true, write: true }) },
      }),
      async (c) => c.json({ key: keyJson(await keys.setStatus(c.req.valid('param').id, 'inactive', c.get('operator'))) }, 200),
    )
    .openapi(
      createRoute({
        method: 'post', path: '/keys/{id}/activate', tags, security: bearer, middleware: [write] as const,
        summary: 'Activate an inactive key again',
        request: { params: IdParam },
        responses: { 200: json(KeyResponse, 'The key, active'), ...errors({ notFound: true, write: true }) },
      }),
      async (c) => c.json({ key: keyJson(await keys.setStatus(c.req.valid('param').id, 'active', c.get('operator'))) }, 200),
    )
    .openapi(
      createRoute({
        method: 'delete', path: '/keys/{id}', tags, security: bearer, middleware: [write] as const,
        summary: 'Delete an inactive key, permanently',
        request: { params: IdParam },
        responses: { 204: { description: 'Deleted' }, ...errors({ notFound: true, write: true, conflicts: ['key_active', 'rotation_open'] }) },
      }),
      async (c) => {
        await keys.delete(c.req.valid('param').id, c.get('operator'));
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/keys/{id}/usage', tags, security: bearer, middleware: [read] as const,
        summary: 'Per-minute verifications and callers of a key',
        request: { params: IdParam, query: UsageQuery },
        responses: { 200: json(UsageSchema, 'Usage buckets, oldest first, and callers'), ...errors({ notFound: true, body: true }) },
      }),
      async (c) => c.json(await usage.forKey(c.req.valid('param').id, c.req.valid('query').minutes), 200),
    );
}

