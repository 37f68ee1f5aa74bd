-- The list's filter (docs/api.md): a substring of the name, owner or hint, found through a
-- trigram index instead of a scan of every key. External content: the index keeps only the
-- trigrams, keyed by the keys table's rowid, and these triggers keep it in step.
CREATE VIRTUAL TABLE `keys_filter` USING fts5(name_folded, owner, hint, content='keys', content_rowid='rowid', tokenize='trigram');
--> statement-breakpoint
INSERT INTO `keys_filter` (`keys_filter`) VALUES ('rebuild');
--> statement-breakpoint
CREATE TRIGGER `keys_filter_insert` AFTER INSERT ON `keys` BEGIN
  INSERT INTO `keys_filter` (rowid, name_folded, owner, hint) VALUES (new.rowid, new.name_folded, new.owner, new.hint);
END;
--> statement-breakpoint
CREATE TRIGGER `keys_filter_delete` AFTER DELETE ON `keys` BEGIN
  INSERT INTO `keys_filter` (`keys_filter`, rowid, name_folded, owner, hint) VALUES ('delete', old.rowid, old.name_folded, old.owner, old.hint);
END;
--> statement-breakpoint
CREATE TRIGGER `keys_filter_update` AFTER UPDATE OF name_folded, owner, hint ON `keys` BEGIN
  INSERT INTO `keys_filter` (`keys_filter`, rowid, name_folded, owner, hint) VALUES ('delete', old.rowid, old.name_folded, old.owner, old.hint);
  INSERT INTO `keys_filter` (rowid, name_folded, owner, hint) VALUES (new.rowid, new.name_folded, new.owner, new.hint);
END;
