using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Dispatch.Email;

/// <summary>Sender identity of survey emails. Section <c>Email</c>.</summary>
public sealed class EmailOptions
{
    /// <summary>From address.</summary>
    /// <value>Defaults to <c>surveys@localhost</c>; set a domain you send for (SPF/DKIM).</value>
    [Required, EmailAddress]
    public string FromAddress { get; set; } = "surveys@localhost";

    /// <summary>From display name.</summary>
    /// <value>Defaults to <c>Customer feedback</c>.</value>
    public string FromName { get; set; } = "Customer feedback";

    /// <summary>Right-hand side of Message-Ids, which are <c>&lt;invitation-id@domain&gt;</c>.</summary>
    /// <value>Defaults to <c>nps.localhost</c>.</value>
    [Required, RegularExpression(@"^[A-Za-z0-9.-]+$", ErrorMessage = "Email:MessageIdDomain must be a domain name.")]
    public string MessageIdDomain { get; set; } = "nps.localhost";

    /// <summary>
    /// Domain of the per-invitation return path (envelope sender <c>bounce+{invitation}@domain</c>, docs/EMAIL.md): the
    /// relay or MX of this domain must deliver <c>bounce+*@domain</c> to the mailbox the bounce reader polls (<c>Bounces</c>).
    /// </summary>
    /// <value>Defaults to the domain of <see cref="FromAddress"/>.</value>
    [RegularExpression(@"^[A-Za-z0-9.-]+$", ErrorMessage = "Email:ReturnPathDomain must be a domain name.")]
    public string? ReturnPathDomain { get; set; }

    /// <summary><see cref="ReturnPathDomain"/>, or the domain of <see cref="FromAddress"/> when it is not set.</summary>
    public string EffectiveReturnPathDomain =>
        string.IsNullOrWhiteSpace(ReturnPathDomain) ? FromAddress[(FromAddress.LastIndexOf('@') + 1)..] : ReturnPathDomain;
}
