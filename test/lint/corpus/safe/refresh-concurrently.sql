-- expect: nothing
REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;
