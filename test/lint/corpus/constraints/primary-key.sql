-- expect: error unique-without-using-index at line 2
ALTER TABLE audit ADD PRIMARY KEY (id);
