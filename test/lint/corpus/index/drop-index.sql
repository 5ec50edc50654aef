-- expect: error require-concurrent-drop-index at line 2
DROP INDEX users_email_idx;
