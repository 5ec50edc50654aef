-- expect: nothing
CREATE TABLE tokens (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
ALTER TABLE tokens ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
