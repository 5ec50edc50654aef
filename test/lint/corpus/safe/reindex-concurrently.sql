-- expect: nothing
REINDEX INDEX CONCURRENTLY users_email_idx;
