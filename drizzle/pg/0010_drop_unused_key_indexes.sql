DROP INDEX "keys_created";--> statement-breakpoint
DROP INDEX "keys_owner";