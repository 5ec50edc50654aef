-- expect: info prefer-bigint-key at line 2
CREATE TABLE tags (id int PRIMARY KEY, name text NOT NULL);
