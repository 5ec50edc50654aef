-- expect: nothing
ALTER TYPE mood ADD VALUE 'content';
