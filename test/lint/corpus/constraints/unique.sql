-- expect: error unique-without-using-index at line 2
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
