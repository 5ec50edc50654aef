-- expect: nothing
ALTER TABLE users ADD COLUMN nickname text;
