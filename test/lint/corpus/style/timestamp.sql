-- expect: info prefer-timestamptz at line 2
ALTER TABLE users ADD COLUMN last_login timestamp;
