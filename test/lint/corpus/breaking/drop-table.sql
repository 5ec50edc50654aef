-- expect: error rename-or-drop-outside-contract at line 2
DROP TABLE sessions;
