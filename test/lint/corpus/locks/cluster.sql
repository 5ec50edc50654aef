-- expect: error rewrite-under-lock at line 2
CLUSTER users USING users_pkey;
