-- expect: error type-change-rewrite at line 2
ALTER TABLE users ALTER COLUMN age TYPE int USING nullif(age, '')::int;
