-- expect: warning prefer-jsonb at line 2
ALTER TABLE users ADD COLUMN settings json;
