-- expect: error add-column-volatile-default at line 2
ALTER TABLE users ADD COLUMN code text DEFAULT make_code();
