-- expect: error type-change-rewrite at line 4
-- expect: error narrowing-type-change at line 4
ALTER TABLE users ADD COLUMN points bigint;
ALTER TABLE users ALTER COLUMN points TYPE int;
