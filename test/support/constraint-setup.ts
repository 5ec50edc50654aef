/** A table with one constraint of each kind the constraint operations drop and rename. */
export const constraintSetup = `CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE posts (id serial PRIMARY KEY, title text NOT NULL, user_id bigint, review text,
  CONSTRAINT title_length CHECK (length(title) > 3),
  CONSTRAINT fk_users_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT posts_review_unique UNIQUE (review));
ALTER TABLE posts ADD CONSTRAINT posts_title_user CHECK (title <> '' OR user_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT title_length ON posts IS 'short titles read badly';
INSERT INTO users (name) SELECT 'u' || g FROM generate_series(1, 10) g;
INSERT INTO posts (title, user_id, review) SELECT 'post ' || g, g, 'r' || g FROM generate_series(1, 10) g;`;
