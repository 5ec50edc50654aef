-- expect: error type-change-rewrite at line 3
ALTER TABLE users ADD COLUMN visits int;
ALTER TABLE users ALTER COLUMN visits TYPE bigint;
