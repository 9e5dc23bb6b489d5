using MimeKit;

namespace NpsTriggers.Dispatch.Email;

/// <summary>Writes each message as <c>&lt;message-id&gt;.eml</c> (temp file, then rename, so readers never see half a file). The
/// <c>Return-Path</c> header stays in the file: it is the envelope sender an SMTP send would use (docs/EMAIL.md).</summary>
public sealed class PickupDirectoryEmailTransport(string directory) : IEmailTransport
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        Directory.CreateDirectory(directory);
        var name = string.Concat((message.MessageId ?? Guid.NewGuid().ToString("N")).Split(Path.GetInvalidFileNameChars()));
        var path = Path.Combine(directory, name + ".eml");
        var temp = path + ".tmp";
        await message.WriteToAsync(temp, cancellationToken);
        File.Move(temp, path, overwrite: true);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
