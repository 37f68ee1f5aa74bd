/**
 * `POST /v1/keys/leaks`: `keyward scan` reports the live keys it found, so a plain scan (a CI
 * job with a viewer's token) raises `key.leaked` for the admins as `--deactivate` does. The
 * reporter proves it holds each secret by its SHA-256, which no reader of the API can see
 * otherwise: with a key's id alone nobody can raise an alert about it. It learns nothing lookup
 * does not already answer (whether a hash is an active key).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { AlertService } from '../alerts/service.js';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, json, jsonBody } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import { LEAK_WHERE_MAX, LOOKUP_BATCH } from '../limits.js';
import { Sha256 } from './lookup.js';
import { shownText } from './schemas.js';

const LeakSchema = z
  .object({
    sha256: Sha256,
    where: shownText(LEAK_WHERE_MAX).openapi({
      type: 'string',
      maxLength: LEAK_WHERE_MAX,
      description: 'Where it was found, `FILE:LINE`. Control characters are removed and secret-shaped text is redacted',
      example: 'deploy/.env:3',
    }),
  })
  .strict();

const LeaksBody = z
  .object({ leaks: z.array(LeakSchema).min(1).max(LOOKUP_BATCH).openapi({ description: `At most ${LOOKUP_BATCH}` }) })
  .strict()
  .openapi('LeaksReport');

const LeakResultSchema = z
  .object({
    sha256: z.string(),
    where: z.string(),
    reported: z.boolean().openapi({ description: 'True for an active key (not a canary): `key.leaked` raised, or counted on the open alert of that key and location. False for anything else, which is left alone' }),
  })
  .openapi('LeakResult');

const LEAKS_EXAMPLE = {
  results: [
    { sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', where: 'deploy/.env:3', reported: true },
    { sha256: '60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752', where: 'notes/old.md:12', reported: false },
  ],
};

export function leakRoutes(alerts: AlertService) {
  return routeGroup().openapi(
    createRoute({
      method: 'post', path: '/keys/leaks', operationId: 'reportLeaks', tags: ['keys'], security: bearer, middleware: [requirePermission('keys:read')] as const,
      summary: 'Report live keys found leaked, by their SHA-256 and where (for leak scanners)',
      description:
        'Needs `keys:read`, as lookup does: the hash is the proof. Each hash that is an active key raises `key.leaked` with `reason` `leaked: WHERE` and the reporter as `reportedBy`; one alert is open per key and location, and a repeat counts on it. Not audited: nothing changes on the key. Unknown hashes, inactive, deleted and canary keys, and operator tokens are left alone (`reported: false`).',
      request: { body: jsonBody(LeaksBody) },
      responses: {
        200: json(z.object({ results: z.array(LeakResultSchema) }), 'One result per leak, in the order sent', LEAKS_EXAMPLE),
        ...errors({ store: 'write' }),
      },
    }),
    async (c) => {
      const { leaks } = c.req.valid('json');
      const reported = await alerts.reportLeaks(leaks, c.get('operator'));
      return c.json({ results: leaks.map((l, i) => ({ ...l, reported: reported[i]! })) }, 200);
    },
  );
}
