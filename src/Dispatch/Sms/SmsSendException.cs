namespace NpsTriggers.Dispatch.Sms;

/// <summary>An SMS Twilio did not accept. <see cref="Permanent"/> failures are never retried; <see cref="Unsubscribed"/> (21610) suppresses the number.</summary>
public sealed class SmsSendException(string reason, bool permanent, int? code = null, Exception? inner = null) : Exception(reason, inner)
{
    public string Reason { get; } = reason;
    public bool Permanent { get; } = permanent;
    public int? Code { get; } = code;
    public bool Unsubscribed => Code == 21610;
}
