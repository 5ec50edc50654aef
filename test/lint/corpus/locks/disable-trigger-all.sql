-- expect: error disable-trigger-all at line 2
ALTER TABLE orders DISABLE TRIGGER ALL;
