-- expect: error transaction-control-in-sql at line 2
BEGIN;
ALTER TABLE users ADD COLUMN locale text;
