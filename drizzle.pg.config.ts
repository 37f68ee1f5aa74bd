import { defineConfig } from 'drizzle-kit';

/** The PostgreSQL store's migrations: `npx drizzle-kit generate --config drizzle.pg.config.ts`. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/daemon/db/pg/schema.ts',
  out: './drizzle/pg',
});
