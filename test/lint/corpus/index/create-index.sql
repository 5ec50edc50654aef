-- expect: error require-concurrent-index at line 2
CREATE INDEX users_email_idx ON users (email);
