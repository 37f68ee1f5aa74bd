ALTER TABLE `rotations` ADD `cut_new_ok` integer;--> statement-breakpoint
ALTER TABLE `rotations` ADD `cut_new_rejected` integer;--> statement-breakpoint
ALTER TABLE `rotations` ADD `cut_old_ok` integer;--> statement-breakpoint
ALTER TABLE `rotations` ADD `cut_old_rejected` integer;