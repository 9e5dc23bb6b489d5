using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;

namespace NpsTriggers.Triggers.Intake;

/// <summary>
/// The concrete channel a rule's <c>channel:</c> gives a person with these contacts, or null and why not. One decision
/// for event rules (<see cref="InvitationPlanner"/>) and relational programmes, so both survey the same people the same way.
/// </summary>
public static class ChannelChoice
{
    /// <param name="who">Names the person in explanations (<c>data.recipient</c> for an event).</param>
    public static (InvitationChannel? Channel, string Why) For(SurveyChannel mode, bool email, bool phone, string? preferred, string who)
    {
        switch (mode)
        {
            case SurveyChannel.Email:
                return email ? (InvitationChannel.Email, "") : (null, $"the rule sends by email and {who} has no email address");
            case SurveyChannel.Sms:
                return phone ? (InvitationChannel.Sms, "") : (null, $"the rule sends by sms and {who} has no phone number");
            case SurveyChannel.EmailThenSms:
                return email ? (InvitationChannel.Email, "") : phone ? (InvitationChannel.Sms, "no email address, falling back to sms") : (null, $"{who} has neither email nor phone");
            default:
                if (preferred == "sms" && phone)
                    return (InvitationChannel.Sms, "the recipient prefers sms");
                if (preferred == "email" && email)
                    return (InvitationChannel.Email, "the recipient prefers email");
                return email ? (InvitationChannel.Email, preferred is null ? "no preference, email first" : $"preferred {preferred} is not usable")
                    : phone ? (InvitationChannel.Sms, "no email address") : (null, $"{who} has neither email nor phone");
        }
    }

    /// <summary>The contact a person must have to be surveyed at all under this mode: "email", "phone" or "any".</summary>
    public static string Needs(SurveyChannel mode) => mode switch
    {
        SurveyChannel.Email => "email",
        SurveyChannel.Sms => "phone",
        _ => "any",
    };
}
