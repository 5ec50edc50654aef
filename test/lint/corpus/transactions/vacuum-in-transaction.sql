-- expect: error cannot-run-in-transaction at line 3
BEGIN;
VACUUM users;
COMMIT;
