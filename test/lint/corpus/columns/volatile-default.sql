-- expect: error add-column-volatile-default at line 2
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
