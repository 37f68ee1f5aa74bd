/** How a store failure reads in the daemon's log: one line, past drizzle's wrapper. */
import { DrizzleQueryError } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { failureText } from '../../src/daemon/db/storage-errors.js';
import { StoreUnreachable } from '../../src/daemon/errors.js';

describe('failureText', () => {
  it('says what the store or the network said, on one line, not the query drizzle quotes', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(failureText(new DrizzleQueryError('select "id"\nfrom "keys" where "id" = $1', ['key_1'], refused))).toBe('connect ECONNREFUSED 127.0.0.1:5432');
    expect(failureText(new StoreUnreachable('cannot get a PostgreSQL connection: timeout', { cause: refused })), 'keyward’s own words kept').toBe(
      'cannot get a PostgreSQL connection: timeout',
    );
    expect(failureText(new Error('database is locked\n  (SQLITE_BUSY)'))).toBe('database is locked (SQLITE_BUSY)');
    expect(failureText('a string thrown')).toBe('a string thrown');
  });
});
