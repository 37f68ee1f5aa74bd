/** `POST /v1/keys/import` (docs/import.md): validate the batch, import it, answer the new ids. */
import { createRoute } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, json, jsonBody } from '../http/openapi.js';
import { firstItemHook, routeGroup } from '../http/validation.js';
import { IMPORT_BATCH, IMPORT_MAX_BYTES } from '../limits.js';
import { ImportBody, ImportedResponse } from './import-schemas.js';
import type { KeyService } from './service.js';
import { withThousands } from '../../thousands.js';

const write = requirePermission('keys:write');
const tags = ['keys'];

export function importRoutes(keys: KeyService) {
  return routeGroup(firstItemHook).openapi(
    createRoute({
      method: 'post', path: '/keys/import', operationId: 'importKeys', tags, security: bearer, middleware: [write] as const,
      summary: `Import up to ${withThousands(IMPORT_BATCH)} keys from another system, by secret or by SHA-256; all or none`,
      description:
        `Needs \`keys:write\`. The body may be up to ${IMPORT_MAX_BYTES / 1024 / 1024} MiB (every other route: 64 KiB). The batch is one transaction: ` +
        'a refusal imports nothing and names the first key at fault by its index, in the message and in every issue path (`keys.3.name`). ' +
        'A name taken by a stored key or by another in the batch is `name_taken`; a secret already stored, or twice in the batch, and any invalid field, `invalid_request`. ' +
        'A secret is hashed at once: never stored, logged, audited or sent back. Keys of any format verify by their SHA-256; only `kw_` keys have their checksum checked. ' +
        'One audit event (`key.import`) and one `keys.imported` event for the batch. See docs/import.md.',
      request: { body: jsonBody(ImportBody) },
      responses: {
        201: json(ImportedResponse, 'Every key was imported', { imported: 1, keys: [{ id: 'key_3kTMd8p6NxLw0aQvYc1bZe', name: 'billing' }] }),
        ...errors({ store: 'write', conflicts: ['name_taken'] }),
      },
    }),
    async (c) => {
      const rows = await keys.importKeys(c.req.valid('json').keys, c.get('operator'));
      return c.json({ imported: rows.length, keys: rows.map(({ id, name }) => ({ id, name })) }, 201);
    },
  );
}
