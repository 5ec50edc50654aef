-- expect: error constraint-without-not-valid at line 2
ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);
