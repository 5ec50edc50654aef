-- expect: warning unbatched-backfill at line 2
DELETE FROM sessions;
