CREATE TABLE `usage_window` (
	`id` integer PRIMARY KEY NOT NULL,
	`from_minute` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `keys` ADD `uses_24h` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `keys_sort_newest` ON `keys` ((-"created_at"),`id`);--> statement-breakpoint
CREATE INDEX `keys_sort_last_used` ON `keys` ((-coalesce("last_used_at", -1)),`name_folded`);--> statement-breakpoint
CREATE INDEX `keys_sort_uses` ON `keys` ((-"uses_24h"),`name_folded`);--> statement-breakpoint
CREATE INDEX `keys_sort_status` ON `keys` (`status`,`name_folded`);--> statement-breakpoint
CREATE INDEX `keys_sort_owner` ON `keys` (coalesce("owner", ''),`name_folded`);