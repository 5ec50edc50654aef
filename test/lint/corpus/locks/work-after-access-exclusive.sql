-- expect: error work-after-access-exclusive at line 4
BEGIN;
ALTER TABLE users ADD COLUMN locale text;
UPDATE users SET locale = 'en' WHERE id < 100;
COMMIT;
