-- expect: nothing
CREATE TABLE invoices (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES users (id),
  total numeric(12, 2) NOT NULL CHECK (total >= 0),
  issued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
ALTER TABLE invoices ADD CONSTRAINT invoices_total_unique UNIQUE (customer_id, total);
