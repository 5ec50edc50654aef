-- expect: nothing
VACUUM (ANALYZE) users;
