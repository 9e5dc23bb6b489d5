-- Token buckets shared by every dispatch replica: one row per provider and sender.
create table rate_limits (
    name        text             primary key,
    capacity    double precision not null,
    per_second  double precision not null,
    tokens      double precision not null,
    updated_at  timestamptz      not null
);
