using Microsoft.Extensions.Options;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Dispatch.Email;
using NpsTriggers.Dispatch.Sms;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// The process-wide bound on provider calls in flight, per channel: <c>Sms:MaxInFlight</c> for Twilio and
/// <c>Smtp:MaxConnections</c> for email (MailKit sends one message at a time per connection). Every send job of the
/// process draws its slots here, so however many jobs run, no more calls are in flight than this, no more accepted
/// sends can be waiting for their commit, and no more can go out twice after a crash.
/// </summary>
public sealed class InFlightLimits(IOptions<SmsOptions> sms, IOptions<SmtpOptions> smtp, IOptions<DispatchOptions> dispatch) : IDisposable
{
    private readonly SemaphoreSlim _sms = new(sms.Value.MaxInFlight, sms.Value.MaxInFlight);
    private readonly SemaphoreSlim _email = new(smtp.Value.MaxConnections, smtp.Value.MaxConnections);
    private readonly SendWindow _smsWindow = new(sms.Value.MaxInFlight);
    private readonly SendWindow _emailWindow = new(smtp.Value.MaxConnections);

    /// <summary>The calls in flight one send job may have on <paramref name="channel"/>: one with <c>Dispatch:SequentialSends</c>.</summary>
    public int PerJob(InvitationChannel channel) => dispatch.Value.SequentialSends ? 1 : Bound(channel);

    public int Bound(InvitationChannel channel) => channel == InvitationChannel.Sms ? sms.Value.MaxInFlight : smtp.Value.MaxConnections;

    /// <summary>A send run's view of <paramref name="channel"/>'s slots; drain it before the run ends.</summary>
    public InFlightSends Open(InvitationChannel channel) => channel == InvitationChannel.Sms
        ? new(_sms, PerJob(channel), _smsWindow)
        : new(_email, PerJob(channel), _emailWindow);

    public void Dispose()
    {
        _sms.Dispose();
        _email.Dispose();
    }
}
