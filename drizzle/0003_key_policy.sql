ALTER TABLE `keys` ADD `description` text;--> statement-breakpoint
ALTER TABLE `keys` ADD `owner` text;--> statement-breakpoint
ALTER TABLE `keys` ADD `meta` text;--> statement-breakpoint
ALTER TABLE `keys` ADD `scopes` text;--> statement-breakpoint
ALTER TABLE `keys` ADD `allowed_ips` text;--> statement-breakpoint
ALTER TABLE `keys` ADD `rate_limit` integer;--> statement-breakpoint
ALTER TABLE `keys` ADD `rate_limit_window_seconds` integer;--> statement-breakpoint
ALTER TABLE `keys` ADD `quota_remaining` integer;--> statement-breakpoint
ALTER TABLE `keys` ADD `quota_refill_amount` integer;--> statement-breakpoint
ALTER TABLE `keys` ADD `quota_refill_interval_seconds` integer;--> statement-breakpoint
ALTER TABLE `keys` ADD `quota_refilled_at` integer;--> statement-breakpoint
ALTER TABLE `keys` ADD `quota_set_at` integer;--> statement-breakpoint
CREATE INDEX `keys_owner` ON `keys` (`owner`);