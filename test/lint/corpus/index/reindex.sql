-- expect: error require-concurrent-index at line 2
REINDEX TABLE users;
