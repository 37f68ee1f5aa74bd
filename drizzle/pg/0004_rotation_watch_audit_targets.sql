ALTER TABLE "rotations" ADD COLUMN "watch_ms" bigint DEFAULT 600000 NOT NULL;--> statement-breakpoint
CREATE INDEX "audit_events_target_id" ON "audit_events" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "audit_events_target_name" ON "audit_events" USING btree ("target_name");