-- expect: error sql-syntax at line 2
ALTER TABLE users ADD COLUM locale text;
