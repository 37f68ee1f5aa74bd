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
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"webhook_id" text NOT NULL,
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"body" text NOT NULL,
	"created_at" bigint NOT NULL,
	"status" text NOT NULL,
	"attempts" bigint DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"locked_until" bigint,
	"last_attempt_at" bigint,
	"last_status" bigint,
	"last_error" text,
	"delivered_at" bigint
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"events" text NOT NULL,
	"sealed_secret" text NOT NULL,
	"key_id" text NOT NULL,
	"created_at" bigint NOT NULL,
	"created_by" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "deactivation_reason" text;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "canary" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "rotated_out_by" text;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open" ON "alerts" USING btree ("kind","key_id","caller") WHERE "alerts"."acked_at" is null;--> statement-breakpoint
CREATE INDEX "alerts_sighted" ON "alerts" USING btree ("kind","key_id","caller","first_seen_at");--> statement-breakpoint
CREATE INDEX "alerts_last_seen" ON "alerts" USING btree ("last_seen_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "key_tombstones_hash" ON "key_tombstones" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "key_tombstones_deleted" ON "key_tombstones" USING btree ("deleted_at","key_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due" ON "webhook_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook" ON "webhook_deliveries" USING btree ("webhook_id","created_at");