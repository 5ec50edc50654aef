-- expect: error truncate-table at line 2
TRUNCATE users CASCADE;
