-- A send job draws several tokens at once: up to what it asks for and what the bucket holds, at least one, or none
-- when the bucket holds less than one. The bucket row is locked before the clock is read, so each caller queued on
-- it sees the refill up to the moment it holds the row, and the count it is told is exactly what was taken.
create function take_rate_tokens(p_name text, p_capacity double precision, p_per_second double precision, p_wanted integer)
returns integer
language plpgsql
as $$
declare
    v_now       timestamptz;
    v_tokens    double precision;
    v_updated   timestamptz;
    v_available double precision;
    v_taken     integer;
begin
    insert into rate_limits (name, capacity, per_second, tokens, updated_at)
    values (p_name, p_capacity, p_per_second, p_capacity, clock_timestamp())
    on conflict (name) do nothing;
    select tokens, updated_at into v_tokens, v_updated from rate_limits where name = p_name for update;
    v_now := clock_timestamp();
    v_available := least(p_capacity, v_tokens + greatest(0, extract(epoch from v_now - v_updated)) * p_per_second);
    if v_available < 1 then
        return 0;
    end if;
    v_taken := least(p_wanted, floor(v_available)::integer);
    update rate_limits
    set capacity = p_capacity, per_second = p_per_second, tokens = v_available - v_taken, updated_at = v_now
    where name = p_name;
    return v_taken;
end
$$;
