CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`key_id` text NOT NULL,
	`key_name` text NOT NULL,
	`caller` text NOT NULL,
	`ip` text,
	`count` integer NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`detail` text DEFAULT '{}' NOT NULL,
	`acked_at` integer,
	`acked_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_open` ON `alerts` (`kind`,`key_id`,`caller`) WHERE "alerts"."acked_at" is null;--> statement-breakpoint
CREATE INDEX `alerts_sighted` ON `alerts` (`kind`,`key_id`,`caller`,`first_seen_at`);--> statement-breakpoint
CREATE INDEX `alerts_last_seen` ON `alerts` (`last_seen_at`,`id`);--> statement-breakpoint
CREATE TABLE `key_tombstones` (
	`key_id` text PRIMARY KEY NOT NULL,
	`hash` text NOT NULL,
	`name` text NOT NULL,
	`hint` text NOT NULL,
	`deleted_at` integer NOT NULL,
	`deleted_by` text NOT NULL,
	`rotation_id` text,
	`presentations` integer DEFAULT 0 NOT NULL,
	`last_presented_at` integer,
	`last_caller` text,
	`last_ip` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `key_tombstones_hash` ON `key_tombstones` (`hash`);--> statement-breakpoint
CREATE INDEX `key_tombstones_deleted` ON `key_tombstones` (`deleted_at`,`key_id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`webhook_id` text NOT NULL,
	`event_id` text NOT NULL,
	`type` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`locked_until` integer,
	`last_attempt_at` integer,
	`last_status` integer,
	`last_error` text,
	`delivered_at` integer,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_webhook` ON `webhook_deliveries` (`webhook_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`events` text NOT NULL,
	`sealed_secret` text NOT NULL,
	`key_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `keys` ADD `deactivation_reason` text;--> statement-breakpoint
ALTER TABLE `keys` ADD `canary` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `keys` ADD `rotated_out_by` text;