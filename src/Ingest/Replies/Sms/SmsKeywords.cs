using System.Globalization;
using System.Text;

namespace NpsTriggers.Ingest.Replies.Sms;

/// <summary>What an SMS keyword asks for.</summary>
public enum SmsKeywordKind
{
    None,
    OptOut,
    OptIn,
    Help,
}

/// <summary>A recognised keyword and, when the word belongs to one language only, that language (a tag of
/// <see cref="NpsTriggers.Core.Localization.CustomerLanguages.Supported"/>); null for English and words shared by many.</summary>
public readonly record struct SmsKeyword(SmsKeywordKind Kind, string? Language)
{
    public static readonly SmsKeyword None = new(SmsKeywordKind.None, null);
}

/// <summary>
/// The keywords an SMS reply can be instead of an answer. A whole message is a keyword when, trimmed of white space
/// and punctuation around it, it equals one of these words ignoring case, width (NFKC: full-width <c>ＳＴＯＰ</c> is
/// STOP) and accents on Latin letters (<c>arrêt</c> is ARRET, <c>tro giup</c> is TRỢ GIÚP), as people type on phones
/// that drop or add them. A keyword inside a longer message ("9 stop calling me") is not one: that is a comment.
/// <para>
/// The English words are Twilio's own defaults (its Advanced Opt-Out: STOP… for opt-out, START/UNSTOP/YES to opt
/// back in, HELP/INFO), which Twilio acts on before we see them; we must agree with it. The other words are kept
/// short on purpose, each one a word the people of that language are told to send or send unprompted, and none an
/// ordinary word a person would send as the reason for a score:
/// ARRET (Canadian French, the word Canadian carriers require), STOPP (German), ALTO and BAJA (Spanish; BAJA is how
/// Spanish senders phrase unsubscribing, ALTA its opposite), PARAR and SAIR (Brazilian senders), 退订 and TD (the
/// reply mainland Chinese messages must offer), 取消订阅 / 取消訂閱, 配信停止 (Japanese), 수신거부 and 해지 (Korean),
/// إيقاف (Arabic), הסר (the word Israeli law makes senders offer) and עצור (Hebrew), СТОП and ОТПИСАТЬСЯ (Russian),
/// RET and İPTAL (Turkish senders), BERHENTI (Indonesian). 停止 is both Chinese and Japanese, so it has no language.
/// The help words are the word for "help" in each supported language.
/// </para>
/// </summary>
public static class SmsKeywords
{
    private static readonly Dictionary<string, SmsKeyword> Words = Build();

    /// <summary>The keyword a whole SMS body is, or <see cref="SmsKeyword.None"/>.</summary>
    public static SmsKeyword Match(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.Length > 40)
            return SmsKeyword.None; // every keyword is short; a long text is an answer
        var key = Fold(body);
        return key.Length > 0 && Words.TryGetValue(key, out var keyword) ? keyword : SmsKeyword.None;
    }

    private static Dictionary<string, SmsKeyword> Build()
    {
        var words = new Dictionary<string, SmsKeyword>(StringComparer.Ordinal);
        void Add(SmsKeywordKind kind, string? language, params string[] list)
        {
            foreach (var word in list)
                words.Add(Fold(word), new SmsKeyword(kind, language));
        }

        Add(SmsKeywordKind.OptOut, null, "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "停止");
        Add(SmsKeywordKind.OptOut, "fr", "ARRET");
        Add(SmsKeywordKind.OptOut, "de", "STOPP");
        Add(SmsKeywordKind.OptOut, "es", "ALTO", "BAJA");
        Add(SmsKeywordKind.OptOut, "pt", "PARAR", "SAIR");
        Add(SmsKeywordKind.OptOut, "zh-Hans", "退订", "TD", "取消订阅");
        Add(SmsKeywordKind.OptOut, "zh-Hant", "取消訂閱");
        Add(SmsKeywordKind.OptOut, "ja", "配信停止");
        Add(SmsKeywordKind.OptOut, "ko", "수신거부", "해지");
        Add(SmsKeywordKind.OptOut, "ar", "إيقاف", "ايقاف"); // with and without the hamza, which phones often leave out
        Add(SmsKeywordKind.OptOut, "he", "הסר", "עצור");
        Add(SmsKeywordKind.OptOut, "ru", "СТОП", "ОТПИСАТЬСЯ");
        Add(SmsKeywordKind.OptOut, "tr", "RET", "İPTAL");
        Add(SmsKeywordKind.OptOut, "id", "BERHENTI");

        Add(SmsKeywordKind.OptIn, null, "START", "UNSTOP", "YES");
        Add(SmsKeywordKind.OptIn, "es", "ALTA");

        Add(SmsKeywordKind.Help, null, "HELP", "INFO");
        Add(SmsKeywordKind.Help, "de", "HILFE");
        Add(SmsKeywordKind.Help, "fr", "AIDE");
        Add(SmsKeywordKind.Help, "es", "AYUDA");
        Add(SmsKeywordKind.Help, "it", "AIUTO");
        Add(SmsKeywordKind.Help, "pt", "AJUDA"); // Brazil and Portugal alike; pt is the broader of the two
        Add(SmsKeywordKind.Help, "nl", "HULP");
        Add(SmsKeywordKind.Help, "pl", "POMOC");
        Add(SmsKeywordKind.Help, "tr", "YARDIM");
        Add(SmsKeywordKind.Help, "ar", "مساعدة");
        Add(SmsKeywordKind.Help, "he", "עזרה");
        Add(SmsKeywordKind.Help, "ja", "ヘルプ");
        Add(SmsKeywordKind.Help, "ko", "도움말");
        Add(SmsKeywordKind.Help, "zh-Hans", "帮助");
        Add(SmsKeywordKind.Help, "zh-Hant", "幫助");
        Add(SmsKeywordKind.Help, "fil", "TULONG");
        Add(SmsKeywordKind.Help, "id", "BANTUAN");
        Add(SmsKeywordKind.Help, "vi", "TRỢ GIÚP");
        Add(SmsKeywordKind.Help, "hi", "मदद");
        Add(SmsKeywordKind.Help, "ru", "ПОМОЩЬ");
        return words;
    }

    /// <summary>
    /// The form both sides are compared in: NFKC, white space runs as one space, punctuation around the word dropped,
    /// accents on Latin letters dropped (only there: marks carry meaning in Devanagari and must stay; Turkish İ loses
    /// its dot with them, so İPTAL and "iptal" agree), then upper case (with dotless ı as I: "yardım" is YARDIM).
    /// </summary>
    private static string Fold(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormKC).Normalize(NormalizationForm.FormD);
        var folded = new StringBuilder(decomposed.Length);
        var pendingSpace = false;
        var lastBase = '\0';
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category == UnicodeCategory.NonSpacingMark)
            {
                if (lastBase >= 'A' && lastBase < '\u0250')
                    continue; // an accent on a Latin letter
                folded.Append(c);
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = folded.Length > 0;
                continue;
            }
            if (pendingSpace)
                folded.Append(' ');
            pendingSpace = false;
            lastBase = c;
            folded.Append(c == 'ı' ? 'I' : char.ToUpperInvariant(c)); // invariant upper case leaves Turkish dotless ı alone
        }
        var result = folded.ToString().Normalize(NormalizationForm.FormC);
        return result.Trim(Punctuation).Trim();
    }

    // Sentence marks people put after a keyword ("Stop.", "HELP?", "停止。"), not characters of any keyword.
    private static readonly char[] Punctuation = ['.', '!', '?', ',', ';', ':', '"', '\'', '。', '！', '？', '、', '؟', '¿', '¡', ' '];
}
