-- Issue 21: a dispatch process books rate tokens a little ahead instead of only taking what the bucket holds now. With a
-- burst of 5 at 225/s the bucket is full again 22 ms after it was emptied, so every draw that came later than that (a
-- round trip under load, a GC pause) lost refill for good and the rate could only fall short of the cap. A booking takes
-- what the bucket holds and its refill up to p_horizon seconds ahead: the bucket goes negative by what is booked, and
-- booked token i (from 0) may only be used first_wait + i / per_second after the answer, the moment the refill covers it.
-- Callers wait for their token's time, so calls still leave no faster than the bucket refills: in any window of L
-- seconds at most capacity + per_second * L token times, across every replica, as with take_rate_tokens.
create function book_rate_tokens(p_name text, p_capacity double precision, p_per_second double precision, p_wanted integer,
                                 p_horizon double precision, out taken integer, out first_wait double precision)
language plpgsql
as $$
declare
    v_now       timestamptz;
    v_tokens    double precision;
    v_updated   timestamptz;
    v_available double precision;
begin
    insert into rate_limits (name, capacity, per_second, tokens, updated_at)
    values (p_name, p_capacity, p_per_second, p_capacity, clock_timestamp())
    on conflict (name) do nothing;
    select tokens, updated_at into v_tokens, v_updated from rate_limits where name = p_name for update;
    v_now := clock_timestamp();
    v_available := least(p_capacity, v_tokens + greatest(0, extract(epoch from v_now - v_updated)) * p_per_second);
    -- Whole tokens whose time lies within the horizon: (taken - available) / per_second <= horizon.
    taken := greatest(0, least(p_wanted, floor(v_available + p_horizon * p_per_second)::integer));
    -- Seconds until the first booked token may be used (not positive: at once); token i waits first_wait + i / per_second.
    first_wait := (1 - v_available) / p_per_second;
    if taken = 0 then
        return;
    end if;
    update rate_limits
    set capacity = p_capacity, per_second = p_per_second, tokens = v_available - taken, updated_at = v_now
    where name = p_name;
end
$$;
