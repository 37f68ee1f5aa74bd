import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/daemon/db/sqlite/schema.ts',
  out: './drizzle',
});
