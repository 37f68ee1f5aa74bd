ALTER TABLE `rotations` ADD `watch_ms` integer DEFAULT 600000 NOT NULL;--> statement-breakpoint
CREATE INDEX `audit_events_target_id` ON `audit_events` (`target_id`);--> statement-breakpoint
CREATE INDEX `audit_events_target_name` ON `audit_events` (`target_name`);