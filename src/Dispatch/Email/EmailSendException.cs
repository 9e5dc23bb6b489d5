namespace NpsTriggers.Dispatch.Email;

/// <summary>A send that failed; <see cref="Permanent"/> failures (5xx, bad address) are never retried.</summary>
public sealed class EmailSendException(string reason, bool permanent, Exception? inner = null, bool refused = false) : Exception(reason, inner)
{
    public string Reason { get; } = reason;
    public bool Permanent { get; } = permanent;

    /// <summary>
    /// The server was never reached or answered with an explicit refusal, so it cannot have taken the message: safe
    /// to retry at once. A connection lost mid-message is not <see cref="Refused"/>: the server may have queued it.
    /// </summary>
    public bool Refused { get; } = refused;
}
