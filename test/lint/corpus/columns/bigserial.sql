-- expect: error add-column-generated at line 2
ALTER TABLE users ADD COLUMN seq bigserial;
