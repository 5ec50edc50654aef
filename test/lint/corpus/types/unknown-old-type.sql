-- expect: warning type-change-rewrite at line 2
ALTER TABLE users ALTER COLUMN age TYPE bigint;
