-- expect: error lock-timeout at line 2
SET lock_timeout = 0;
ALTER TABLE users ADD COLUMN locale text;
