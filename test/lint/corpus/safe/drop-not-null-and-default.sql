-- expect: nothing
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users ALTER COLUMN locale SET DEFAULT 'en';
