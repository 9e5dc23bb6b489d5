namespace NpsTriggers.Dispatch.Email;

/// <summary>Everything one survey email says, already personalised; <see cref="EmailComposer"/> only lays it out.
/// <c>ScoreLinks</c> holds exactly 11 links, index = score 0…10. <c>Reminder</c> is 0 for the survey itself, n for the n-th reminder.</summary>
public sealed record SurveyEmail(
    Guid InvitationId,
    string ToAddress,
    string? ToName,
    string Subject,
    string Intro,
    string Question,
    string LowLabel,
    string HighLabel,
    string Locale,
    IReadOnlyList<Uri> ScoreLinks,
    Uri UnsubscribeLink,
    int Reminder = 0);
