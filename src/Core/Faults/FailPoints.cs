namespace NpsTriggers.Core.Faults;

/// <summary>
/// Named points where a crash matters most to the delivery guarantees (docs/RELIABILITY.md, "Killed at an exact step").
/// Production code marks them with <see cref="Reached"/>, which does nothing here: what happens at a point (the fault
/// tests SIGKILL the process there) lives only in the test-side assembly <c>NpsTriggers.FailPointHook</c>, which a test
/// loads into a host process with <c>DOTNET_STARTUP_HOOKS</c>. Before <c>Main</c> runs it stores its callback under
/// <see cref="HookName"/> with <c>AppContext.SetData</c>; without it, a point costs one read of a static readonly null.
/// </summary>
public static class FailPoints
{
    /// <summary>The triggers role committed a batch's invitations to PostgreSQL and has not stored its Kafka offsets yet.</summary>
    public const string IntakeAfterCommit = "intake.after-commit";

    /// <summary>A provider (SMTP server or Twilio) accepted a message and the dispatch role has not recorded it as sent yet.</summary>
    public const string DispatchAfterProviderAccepted = "dispatch.after-provider-accepted";

    /// <summary>Kafka acknowledged a batch of outbox events and the ingest role has not marked them delivered yet.</summary>
    public const string OutboxAfterPublish = "outbox.after-publish";

    /// <summary>The <see cref="AppContext"/> data name under which a test-side startup hook leaves its <c>Action&lt;string&gt;</c>.</summary>
    public const string HookName = "NpsTriggers.FailPoints.Hook";

    // Read once, when this class is first used: the startup hook has run by then, since it runs before Main.
    private static readonly Action<string>? Hook = AppContext.GetData(HookName) as Action<string>;

    /// <summary>Marks that execution reached <paramref name="name"/>; a test's hook may act on it (production: nothing).</summary>
    public static void Reached(string name) => Hook?.Invoke(name);
}
