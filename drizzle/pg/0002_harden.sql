ALTER TABLE "audit_events" ADD COLUMN "signer" text;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "name_skeleton" text;--> statement-breakpoint
ALTER TABLE "operators" ADD COLUMN "name_skeleton" text;--> statement-breakpoint
CREATE INDEX "key_callers_last_seen" ON "key_callers" USING btree ("last_seen_at");--> statement-breakpoint
CREATE UNIQUE INDEX "keys_name_skeleton" ON "keys" USING btree ("name_skeleton");--> statement-breakpoint
CREATE UNIQUE INDEX "operators_name_skeleton" ON "operators" USING btree ("name_skeleton");