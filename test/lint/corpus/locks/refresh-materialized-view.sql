-- expect: error require-concurrent-refresh at line 2
REFRESH MATERIALIZED VIEW order_totals;
