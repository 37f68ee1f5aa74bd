CREATE TABLE "usage_window" (
	"id" bigint PRIMARY KEY NOT NULL,
	"from_minute" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "uses_24h" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "keys_sort_newest" ON "keys" USING btree ((-"created_at"),"id");--> statement-breakpoint
CREATE INDEX "keys_sort_last_used" ON "keys" USING btree ((-coalesce("last_used_at", -1)),"name_folded");--> statement-breakpoint
CREATE INDEX "keys_sort_uses" ON "keys" USING btree ((-"uses_24h"),"name_folded");--> statement-breakpoint
CREATE INDEX "keys_sort_status" ON "keys" USING btree ("status","name_folded");--> statement-breakpoint
CREATE INDEX "keys_sort_owner" ON "keys" USING btree (coalesce("owner", ''),"name_folded");