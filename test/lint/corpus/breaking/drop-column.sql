-- expect: error rename-or-drop-outside-contract at line 2
ALTER TABLE users DROP COLUMN legacy_flag;
