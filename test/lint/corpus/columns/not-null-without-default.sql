-- expect: error not-null-without-default at line 2
ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
