namespace NpsTriggers.Core.Invitations;

/// <summary>
/// The channel an invitation goes out on, once intake has resolved the rule's choice (<c>preferred</c>,
/// <c>email-then-sms</c>) for its recipient. The <c>invitations.channel</c> column holds <see cref="InvitationChannels.Column"/>'s words.
/// </summary>
public enum InvitationChannel { Email, Sms }

/// <summary>The column words of <see cref="InvitationChannel"/>, written once.</summary>
public static class InvitationChannels
{
    /// <summary>The column word: <c>email</c> or <c>sms</c>.</summary>
    public static string Column(this InvitationChannel channel) => channel switch
    {
        InvitationChannel.Email => "email",
        InvitationChannel.Sms => "sms",
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, null),
    };

    /// <summary>Reads the column word back; anything else is a corrupt row.</summary>
    public static InvitationChannel Parse(string column) => column switch
    {
        "email" => InvitationChannel.Email,
        "sms" => InvitationChannel.Sms,
        _ => throw new FormatException($"'{column}' is not an invitation channel (email, sms)."),
    };
}
