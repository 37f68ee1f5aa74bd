CREATE TABLE "alerts" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"key_id" text NOT NULL,
	"key_name" text NOT NULL,
	"caller" text NOT NULL,
	"ip" text,
	"count" bigint NOT NULL,
	"first_seen_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"detail" text DEFAULT '{}' NOT NULL,
	"acked_at" bigint,
	"acked_by" text
);
--> statement-breakpoint
CREATE TABLE "key_tombstones" (
	"key_id" text PRIMARY KEY NOT NULL,
	"hash" text NOT NULL,
	"name" text NOT NULL,
	"hint" text NOT NULL,
	"deleted_at" bigint NOT NULL,
	"deleted_by" text NOT NULL,
	"rotation_id" text,
	"presentations" bigint DEFAULT 0 NOT NULL,
	"last_presented_at" bigint,
	"last_caller" text,
	"last_ip" text
);
--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "canary" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "rotated_out_by" text;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open" ON "alerts" USING btree ("kind","key_id","caller") WHERE "alerts"."acked_at" is null;--> statement-breakpoint
CREATE INDEX "alerts_sighted" ON "alerts" USING btree ("kind","key_id","caller","first_seen_at");--> statement-breakpoint
CREATE INDEX "alerts_last_seen" ON "alerts" USING btree ("last_seen_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "key_tombstones_hash" ON "key_tombstones" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "key_tombstones_deleted" ON "key_tombstones" USING btree ("deleted_at","key_id");