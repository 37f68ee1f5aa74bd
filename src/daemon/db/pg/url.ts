/** Naming a PostgreSQL database in logs and messages; loads no driver, so SQLite daemons can use it. */

/**
 * The URL without its password, for logs and messages: `postgres://user@host:port/db`.
 * An unparsable URL is named only by its scheme, since it may still hold a password.
 */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return 'postgres://… (unparsable URL)';
  }
}
