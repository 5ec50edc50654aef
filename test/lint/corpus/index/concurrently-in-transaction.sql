-- expect: error concurrently-in-transaction at line 3
BEGIN;
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
COMMIT;
