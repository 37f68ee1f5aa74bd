/**
 * Limits of the API that the CLI also checks or batches by, apart from the schemas and the
 * modules that enforce them so a CLI command loads no zod, hono or drizzle (a third of its
 * start-up time when it did).
 */

/** The body limit of every route but the import's. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Keys per `POST /v1/keys/import` call: with every field filled in, 10,000 keys stay well inside `IMPORT_MAX_BYTES`. */
export const IMPORT_BATCH = 10_000;
/** The body limit of the import route alone; every other route keeps the daemon's 64 KiB. */
export const IMPORT_MAX_BYTES = 4 * 1024 * 1024;
export const IMPORT_PATH = '/v1/keys/import';

/** Hashes per `POST /v1/keys/lookup` call: 500 of them make a ~34 KB body, well inside the 64 KiB limit. */
export const LOOKUP_BATCH = 500;

/** The longest reason an operator may give for a deactivation: `keyward scan --deactivate` fits its `leaked: FILE:LINE` in it. */
export const REASON_MAX = 500;
/** How a leak report's reason starts: `leaked: FILE:LINE`. */
export const LEAK_PREFIX = 'leaked: ';
/** The longest location a leak report names (`FILE:LINE`): with `LEAK_PREFIX` it fits a deactivation's reason. */
export const LEAK_WHERE_MAX = REASON_MAX - LEAK_PREFIX.length;

/** The longest window `GET /v1/keys/{id}/usage?minutes=` answers: the 30 days usage is kept. */
export const USAGE_MINUTES_MAX = 30 * 24 * 60;

/** A rotation's watch window, in seconds: at least a minute of traffic, at most the 30 days usage is kept. */
export const WATCH_DEFAULT_SECONDS = 600;
export const WATCH_MIN_SECONDS = 60;
export const WATCH_MAX_SECONDS = 30 * 86_400;
