-- expect: info identifier-too-long at line 2
CREATE INDEX CONCURRENTLY users_email_lower_domain_and_created_at_for_the_reports_page_idx ON users (email);
