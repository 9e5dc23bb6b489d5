namespace NpsTriggers.Testing;

/// <summary>Keys for tests, one per policy, each at least the 32 characters the service requires.</summary>
public static class TestKeys
{
    /// <summary><c>Admin:ApiKeys</c>: dashboards, reports, decisions, suppressions, privacy.</summary>
    public const string Admin = "test-admin-key-0123456789abcdefghij";

    /// <summary><c>Api:Keys</c>: responses and follow-ups.</summary>
    public const string Integration = "test-integration-key-0123456789abcdef";

    /// <summary><c>EventsApi:ApiKeys</c>: <c>POST /api/events</c>.</summary>
    public const string Events = "test-events-key-0123456789abcdefghij";
}
