-- expect: error work-after-access-exclusive at line 7
-- expect: warning unbatched-backfill at line 7
-- expect: error require-concurrent-index at line 8
-- expect: error work-after-access-exclusive at line 8
BEGIN;
ALTER TABLE users ADD COLUMN display_name text NOT NULL DEFAULT '';
UPDATE users SET display_name = initcap(username);
CREATE INDEX users_display_name_idx ON users (display_name);
COMMIT;
