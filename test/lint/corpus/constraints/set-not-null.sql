-- expect: error set-not-null-without-check at line 2
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
