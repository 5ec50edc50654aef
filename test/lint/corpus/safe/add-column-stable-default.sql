-- expect: nothing
ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();
ALTER TABLE users ADD COLUMN day date DEFAULT CURRENT_DATE;
