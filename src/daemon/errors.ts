/**
 * The closed set of error codes of the design (docs/design.md), their HTTP statuses, and the
 * error domain code throws, `KeywardError`. It loads no framework, so the CLI and the pure
 * rotation machine can use it; http/error-handler.ts turns errors into the JSON envelope.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  name_taken: 409,
  key_active: 409,
  rotation_open: 409,
  step_changed: 409,
  rotation_guard: 409,
  last_admin: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_streams: 429,
  internal: 500,
  store_unavailable: 503,
  storage_full: 507,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorIssue = { path: string; message: string };

export class KeywardError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorIssue[],
  ) {
    super(message);
    this.name = 'KeywardError';
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export type ErrorBody = {
  error: { code: ErrorCode; message: string; requestId: string; issues?: ErrorIssue[] };
};

/** The networked store (PostgreSQL) gave no connection: down, unreachable, or not answering in time. */
export class StoreUnreachable extends Error {
  override name = 'StoreUnreachable';
}
