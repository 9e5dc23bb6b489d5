-- Events posted to POST /api/events have no Kafka position; their inbox and dead-letter rows use topic 'http',
-- partition 0 and an offset from this sequence, which keeps dead letters unique by position.
create sequence http_intake_offset;
