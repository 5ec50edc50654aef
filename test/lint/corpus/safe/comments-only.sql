-- expect: nothing
-- nothing to run yet
/* a block comment */
