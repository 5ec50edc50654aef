-- expect: error type-change-rewrite at line 4
-- expect: error narrowing-type-change at line 4
ALTER TABLE users ADD COLUMN zip text;
ALTER TABLE users ALTER COLUMN zip TYPE int USING zip::int;
