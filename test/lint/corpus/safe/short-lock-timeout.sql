-- expect: nothing
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN locale text;
