-- expect: nothing
UPDATE users SET locale = 'en' WHERE id BETWEEN 1 AND 5000 AND locale IS NULL;
