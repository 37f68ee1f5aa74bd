/**
 * `POST /v1/verify` as the fast routes (http/fast-routes.ts) answer it below the framework: the
 * body read by fast-body.ts, which declines what it does not accept to the full route's own
 * schema, then the same verifier and the same answer as the full route.
 */
import type { FastRoute } from '../http/fast-routes.js';
import { fastVerifyBody } from './fast-body.js';
import { VERIFY_PERMISSION } from './routes.js';
import type { Verifier } from './verifier.js';

export function fastVerifyRoute(verifier: Verifier): FastRoute {
  return {
    path: '/v1/verify',
    permission: VERIFY_PERMISSION,
    answer(body, _operator, startedAt) {
      const valid = fastVerifyBody(body);
      if (!valid) return undefined;
      const { caller, ...request } = valid;
      return verifier.verifyJson(request, caller, startedAt);
    },
  };
}
