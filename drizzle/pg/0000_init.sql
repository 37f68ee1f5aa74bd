CREATE TABLE "audit_events" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" text NOT NULL,
	"at" bigint NOT NULL,
	"operator_id" text NOT NULL,
	"operator_name" text NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"target_name" text NOT NULL,
	"detail" text DEFAULT '{}' NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_events_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "key_callers" (
	"key_id" text NOT NULL,
	"caller" text NOT NULL,
	"first_seen_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"ok" bigint DEFAULT 0 NOT NULL,
	"rejected" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "key_callers_key_id_caller_pk" PRIMARY KEY("key_id","caller")
);
--> statement-breakpoint
CREATE TABLE "keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"name_folded" text NOT NULL,
	"hash" text NOT NULL,
	"hint" text NOT NULL,
	"status" text NOT NULL,
	"created_at" bigint NOT NULL,
	"created_by" text NOT NULL,
	"deactivated_at" bigint,
	"expires_at" bigint,
	"last_used_at" bigint
);
--> statement-breakpoint
CREATE TABLE "operators" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"name_folded" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"disabled_at" bigint
);
--> statement-breakpoint
CREATE TABLE "rotations" (
	"id" text PRIMARY KEY NOT NULL,
	"old_key_id" text NOT NULL,
	"old_key_name" text NOT NULL,
	"new_key_id" text NOT NULL,
	"new_key_name" text NOT NULL,
	"step" text NOT NULL,
	"step_started_at" bigint NOT NULL,
	"created_at" bigint NOT NULL,
	"created_by" text NOT NULL,
	"verify_new_at" bigint,
	"deactivate_old_at" bigint,
	"deactivate_at" bigint,
	"double_check_at" bigint,
	"delete_old_at" bigint,
	"ended_at" bigint,
	"outcome" text
);
--> statement-breakpoint
CREATE TABLE "usage_buckets" (
	"key_id" text NOT NULL,
	"minute" bigint NOT NULL,
	"ok" bigint DEFAULT 0 NOT NULL,
	"rejected" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_buckets_key_id_minute_pk" PRIMARY KEY("key_id","minute")
);
--> statement-breakpoint
ALTER TABLE "key_callers" ADD CONSTRAINT "key_callers_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_buckets" ADD CONSTRAINT "usage_buckets_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "keys_name_folded" ON "keys" USING btree ("name_folded");--> statement-breakpoint
CREATE UNIQUE INDEX "keys_hash" ON "keys" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "keys_created" ON "keys" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "operators_name_folded" ON "operators" USING btree ("name_folded");--> statement-breakpoint
CREATE UNIQUE INDEX "operators_token_hash" ON "operators" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "rotations_open_old_key" ON "rotations" USING btree ("old_key_id") WHERE "rotations"."step" not in ('completed', 'cancelled');--> statement-breakpoint
CREATE UNIQUE INDEX "rotations_open_new_key" ON "rotations" USING btree ("new_key_id") WHERE "rotations"."step" not in ('completed', 'cancelled');--> statement-breakpoint
CREATE INDEX "usage_buckets_minute" ON "usage_buckets" USING btree ("minute");