namespace NpsTriggers.Testing;

/// <summary>
/// A positive signal for tests that show something was not sent: instead of sleeping through "a few sweeps", wait for
/// a sweep that read the clock as the test left it, and for every job it handed to Hangfire to finish. Whatever was due
/// by then has been claimed and sent (or failed) once this returns, so an assertion that it was not is meaningful.
/// </summary>
public static class DispatchSweeps
{
    private const string Sweep = "invocationdata::text like '%DueInvitationsSweep%'";

    /// <summary>
    /// Waits until a due-invitation sweep that started after this call has succeeded and the jobs it enqueued (sends,
    /// reminders) have run. Call it after moving the clock; it needs a host that sweeps on Hangfire's clock.
    /// </summary>
    public static async Task WaitForSweepAsync(this ServiceUnderTest service, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        // Job ids grow: a job numbered past this mark was created, and so ran, after the call, and read the clock then.
        var mark = await service.ScalarAsync<long>("select coalesce(max(id), 0) from hangfire.job");
        await Eventually.Until(
            () => service.ScalarAsync<long>($"select count(*) from hangfire.job where id > @mark and statename = 'Succeeded' and {Sweep}", ("mark", mark)),
            n => n > 0, timeout, "a sweep that started after the clock was set");
        // The jobs that sweep enqueued exist once it has succeeded, so none is numbered past this second mark. Wait for
        // every job up to it, earlier ones too (a send job still working through its chunk): a job leaves Hangfire's
        // queue once it has finished. One fetched more than a minute ago belongs to a worker that lost its database
        // connection mid-job; Hangfire offers it again only after its invisibility timeout, so it is not waited for.
        var enqueued = await service.ScalarAsync<long>("select coalesce(max(id), 0) from hangfire.job");
        await Eventually.Until(
            () => service.ScalarAsync<long>(
                "select count(*) from hangfire.jobqueue where jobid <= @enqueued and (fetchedat is null or fetchedat > now() - interval '1 minute')",
                ("enqueued", enqueued)),
            n => n == 0, timeout, "the jobs enqueued up to the end of that sweep to finish");
    }
}
