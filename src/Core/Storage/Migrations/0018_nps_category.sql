-- The NPS category of a 0-10 score, the one place SQL knows it (C# has NpsTriggers.Core.Nps.NpsSummary, and a test
-- holds the two together): promoters score 9-10, passives 7-8, detractors 0-6. A one-statement SQL function that is
-- immutable and not strict is inlined by the planner, so a query using it runs the same plan as the case expression
-- it replaces.
create function nps_category(score smallint) returns text
    language sql immutable parallel safe
    as $$ select case when score >= 9 then 'promoter' when score >= 7 then 'passive' else 'detractor' end $$;
