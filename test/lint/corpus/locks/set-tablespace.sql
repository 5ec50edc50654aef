-- expect: error set-tablespace at line 2
ALTER TABLE users SET TABLESPACE fast_ssd;
