-- expect: info prefer-text at line 2
ALTER TABLE users ADD COLUMN country char(2);
