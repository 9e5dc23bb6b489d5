namespace NpsTriggers.Dispatch.Sms;

/// <summary>An SMS Twilio did not accept. <see cref="Permanent"/> failures are never retried; <see cref="Unsubscribed"/> (21610) suppresses the number.</summary>
public sealed class SmsSendException(string reason, bool permanent, int? code = null, Exception? inner = null) : Exception(reason, inner)
{
    public string Reason { get; } = reason;
    public bool Permanent { get; } = permanent;
    public int? Code { get; } = code;
    public bool Unsubscribed => Code == 21610;

    /// <summary>Twilio 21611: the sender already has as many messages queued as Twilio holds for it. Nothing was sent;
    /// the whole sender must slow down, not only this message.</summary>
    public bool QueueOverflow => Code == 21611;
}
