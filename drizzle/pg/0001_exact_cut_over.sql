ALTER TABLE "rotations" ADD COLUMN "cut_new_ok" bigint;--> statement-breakpoint
ALTER TABLE "rotations" ADD COLUMN "cut_new_rejected" bigint;--> statement-breakpoint
ALTER TABLE "rotations" ADD COLUMN "cut_old_ok" bigint;--> statement-breakpoint
ALTER TABLE "rotations" ADD COLUMN "cut_old_rejected" bigint;