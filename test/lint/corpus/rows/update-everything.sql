-- expect: warning unbatched-backfill at line 2
UPDATE users SET locale = 'en';
