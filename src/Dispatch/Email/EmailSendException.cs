namespace NpsTriggers.Dispatch.Email;

/// <summary>A send that failed; <see cref="Permanent"/> failures (5xx, bad address) are never retried.</summary>
public sealed class EmailSendException(string reason, bool permanent, Exception? inner = null) : Exception(reason, inner)
{
    public string Reason { get; } = reason;
    public bool Permanent { get; } = permanent;
}
