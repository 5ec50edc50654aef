-- expect: error require-concurrent-detach at line 2
ALTER TABLE events DETACH PARTITION events_2020;
