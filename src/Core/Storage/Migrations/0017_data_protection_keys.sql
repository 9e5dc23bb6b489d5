-- ASP.NET Core Data Protection's key ring (PostgresXmlRepository), shared by every ingest replica: the antiforgery
-- tokens one replica puts into Hangfire's dashboard must verify on whichever replica the dashboard's POST reaches.
create table data_protection_keys (
    id             bigint      generated always as identity primary key,
    friendly_name  text        not null,
    xml            text        not null,
    created_at     timestamptz not null
);
