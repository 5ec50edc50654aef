-- expect: error constraint-without-not-valid at line 2
ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);
