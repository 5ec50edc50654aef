-- expect: error rewrite-under-lock at line 2
VACUUM FULL users;
