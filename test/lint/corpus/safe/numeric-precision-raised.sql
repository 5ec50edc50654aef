-- expect: nothing
ALTER TABLE orders ADD COLUMN fee numeric(8, 2);
ALTER TABLE orders ALTER COLUMN fee TYPE numeric(12, 2);
