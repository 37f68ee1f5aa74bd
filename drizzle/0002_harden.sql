ALTER TABLE `audit_events` ADD `signer` text;--> statement-breakpoint
ALTER TABLE `keys` ADD `name_skeleton` text;--> statement-breakpoint
CREATE UNIQUE INDEX `keys_name_skeleton` ON `keys` (`name_skeleton`);--> statement-breakpoint
ALTER TABLE `operators` ADD `name_skeleton` text;--> statement-breakpoint
CREATE UNIQUE INDEX `operators_name_skeleton` ON `operators` (`name_skeleton`);--> statement-breakpoint
CREATE INDEX `key_callers_last_seen` ON `key_callers` (`last_seen_at`);