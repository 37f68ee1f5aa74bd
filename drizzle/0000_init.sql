CREATE TABLE `audit_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`at` integer NOT NULL,
	`operator_id` text NOT NULL,
	`operator_name` text NOT NULL,
	`action` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`target_name` text NOT NULL,
	`detail` text DEFAULT '{}' NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_events_id_unique` ON `audit_events` (`id`);--> statement-breakpoint
CREATE TABLE `key_callers` (
	`key_id` text NOT NULL,
	`caller` text NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`ok` integer DEFAULT 0 NOT NULL,
	`rejected` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`key_id`, `caller`),
	FOREIGN KEY (`key_id`) REFERENCES `keys`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`name_folded` text NOT NULL,
	`hash` text NOT NULL,
	`hint` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`deactivated_at` integer,
	`expires_at` integer,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `keys_name_folded` ON `keys` (`name_folded`);--> statement-breakpoint
CREATE UNIQUE INDEX `keys_hash` ON `keys` (`hash`);--> statement-breakpoint
CREATE INDEX `keys_created` ON `keys` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `operators` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`name_folded` text NOT NULL,
	`role` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`disabled_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `operators_name_folded` ON `operators` (`name_folded`);--> statement-breakpoint
CREATE UNIQUE INDEX `operators_token_hash` ON `operators` (`token_hash`);--> statement-breakpoint
CREATE TABLE `rotations` (
	`id` text PRIMARY KEY NOT NULL,
	`old_key_id` text NOT NULL,
	`old_key_name` text NOT NULL,
	`new_key_id` text NOT NULL,
	`new_key_name` text NOT NULL,
	`step` text NOT NULL,
	`step_started_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`verify_new_at` integer,
	`deactivate_old_at` integer,
	`deactivate_at` integer,
	`double_check_at` integer,
	`delete_old_at` integer,
	`ended_at` integer,
	`outcome` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rotations_open_old_key` ON `rotations` (`old_key_id`) WHERE "rotations"."step" not in ('completed', 'cancelled');--> statement-breakpoint
CREATE UNIQUE INDEX `rotations_open_new_key` ON `rotations` (`new_key_id`) WHERE "rotations"."step" not in ('completed', 'cancelled');--> statement-breakpoint
CREATE TABLE `usage_buckets` (
	`key_id` text NOT NULL,
	`minute` integer NOT NULL,
	`ok` integer DEFAULT 0 NOT NULL,
	`rejected` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`key_id`, `minute`),
	FOREIGN KEY (`key_id`) REFERENCES `keys`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `usage_buckets_minute` ON `usage_buckets` (`minute`);