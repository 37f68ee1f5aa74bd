-- The list's filter (docs/api.md): a substring of the name, owner or hint, found through a
-- trigram index instead of a scan of every key. pg_trgm is a trusted extension: a database
-- owner may create it. The expression must read exactly as the store's filter does.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "keys_filter" ON "keys" USING gin ((("name_folded" || chr(1) || lower(coalesce("owner", '')) || chr(1) || lower("hint"))) gin_trgm_ops);
