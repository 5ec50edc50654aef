-- expect: error type-change-rewrite at line 4
-- expect: error narrowing-type-change at line 4
ALTER TABLE users ADD COLUMN code varchar(20);
ALTER TABLE users ALTER COLUMN code TYPE varchar(10);
