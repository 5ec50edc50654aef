-- expect: error add-column-volatile-default at line 2
ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();
