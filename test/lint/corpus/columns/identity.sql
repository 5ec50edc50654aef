-- expect: error add-column-generated at line 2
ALTER TABLE orders ADD COLUMN number bigint GENERATED ALWAYS AS IDENTITY;
