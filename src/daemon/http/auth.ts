/**
 * Bearer-token authentication (401) and per-route permission checks (403).
 */
import { createMiddleware } from 'hono/factory';
import type { OperatorService } from '../auth/operators.js';
import { can, type Permission } from '../auth/permissions.js';
import { KeywardError } from '../errors.js';
import type { IndexedOperator } from '../store.js';
import type { AppEnv } from './env.js';

/** RFC 7235: the scheme is case-insensitive, and one or more spaces part it from the token. */
const BEARER = /^bearer +(\S+)$/i;

/** The active operator whose token an `Authorization` header carries, if any. */
export function bearerOperator(operators: OperatorService, header: string | undefined): IndexedOperator | undefined {
  const match = BEARER.exec(header ?? '');
  return match ? operators.authenticate(match[1]!) : undefined;
}

export function authenticate(operators: OperatorService) {
  return createMiddleware<AppEnv>(async function authenticateOperator(c, next) {
    const operator = bearerOperator(operators, c.req.header('authorization'));
    if (!operator) throw new KeywardError('unauthorized', 'A valid operator token is required (Authorization: Bearer kwo_…)');
    c.set('operator', operator);
    await next();
  });
}

export function requirePermission(permission: Permission) {
  return createMiddleware<AppEnv>(async function checkPermission(c, next) {
    const operator = c.get('operator');
    if (!can(operator.role, permission)) {
      throw new KeywardError('forbidden', `Operator "${operator.name}" (role ${operator.role}) lacks the permission ${permission}`);
    }
    await next();
  });
}
