-- expect: error require-concurrent-index at line 2
CREATE UNIQUE INDEX users_username_idx
  ON users (username);
