-- expect: error type-change-rewrite at line 4
-- expect: info prefer-timestamptz at line 4
ALTER TABLE users ADD COLUMN seen timestamptz;
ALTER TABLE users ALTER COLUMN seen TYPE timestamp;
