-- expect: error rename-or-drop-outside-contract at line 2
ALTER TABLE users RENAME COLUMN email TO email_address;
