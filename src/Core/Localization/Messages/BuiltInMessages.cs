namespace NpsTriggers.Core.Localization.Messages;

/// <summary>
/// The built-in texts, one file per language. Register: the formal address where the language expects it with
/// customers (Sie, vous, usted, Lei, U, Pan/Pani avoided by impersonal forms, Siz, 您, です/ます, 합쇼체, po, Anda,
/// Quý khách, आप, Вы). NPS labels and the follow-up question follow each language's usual survey wording.
/// </summary>
internal static partial class BuiltInMessages
{
    /// <summary>Every language (a property, not a field: the languages are fields of other files of this partial class,
    /// whose initialisation order C# leaves open).</summary>
    public static IEnumerable<MessageTexts> All =>
    [
        En, De, Fr, Es, It, Pt, PtPt, Nl, Pl, Tr, Ar, He, Ja, Ko, ZhHans, ZhHant, Fil, Id, Vi, Hi, Ru,
    ];
}
