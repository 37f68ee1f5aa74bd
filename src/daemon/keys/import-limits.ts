/** The limits of `POST /v1/keys/import`, apart from its schemas so the CLI can batch by them without loading zod. */

/** Keys per call: with every field filled in, 10,000 keys stay well inside `IMPORT_MAX_BYTES`. */
export const IMPORT_BATCH = 10_000;
/** The body limit of this route alone; every other route keeps the daemon's 64 KiB. */
export const IMPORT_MAX_BYTES = 4 * 1024 * 1024;
export const IMPORT_PATH = '/v1/keys/import';
