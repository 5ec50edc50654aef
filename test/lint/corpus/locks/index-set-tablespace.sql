-- expect: error set-tablespace at line 2
ALTER INDEX users_email_idx SET TABLESPACE fast_ssd;
