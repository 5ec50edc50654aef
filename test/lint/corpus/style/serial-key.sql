-- expect: info prefer-bigint-key at line 2
CREATE TABLE labels (
  id serial,
  name text,
  PRIMARY KEY (id)
);
