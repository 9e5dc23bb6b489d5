namespace NpsTriggers.Dispatch.Sms;

/// <summary>
/// How many segments a survey SMS costs, counted the way carriers split it
/// (https://www.twilio.com/docs/glossary/what-sms-character-limit): a text of GSM-7 characters only takes 160 septets in
/// one message and 153 per part of a longer one, an extension character (<c>€ [ ] { } ^ ~ | \</c>) takes two septets and
/// is never split across parts; any other character makes the whole text UCS-2, 70 UTF-16 units in one message and 67
/// per part, with a surrogate pair (an emoji, a rare CJK character) never split across parts. Twilio's optional
/// "smart encoding" (curly quotes to straight ones) is not assumed.
/// </summary>
public static class SmsText
{
    private const string Gsm7 =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private const string Gsm7Extension = "^{}\\[~]|€\f";

    // Septets per character (1 basic, 2 extension, 0 not in GSM-7), looked up by code unit instead of searched per send.
    private static readonly byte[] Septets = BuildSeptets();

    /// <summary>Segments Twilio bills for this text, and its encoding.</summary>
    public static (int Segments, string Encoding) Segments(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var c in text)
            if (c >= Septets.Length || Septets[c] == 0)
                return (Ucs2Segments(text), "UCS-2");
        return (Gsm7Segments(text), "GSM-7");
    }

    private static int Gsm7Segments(string text)
    {
        var total = 0;
        foreach (var c in text)
            total += Septets[c];
        if (total <= 160)
            return 1;
        var segments = 1;
        var used = 0;
        foreach (var c in text)
        {
            int size = Septets[c];
            if (used + size > 153)
            {
                segments++;
                used = 0;
            }
            used += size;
        }
        return segments;
    }

    private static int Ucs2Segments(string text)
    {
        if (text.Length <= 70)
            return 1;
        var segments = 1;
        var used = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var size = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            if (used + size > 67)
            {
                segments++;
                used = 0;
            }
            used += size;
            i += size - 1;
        }
        return segments;
    }

    private static byte[] BuildSeptets()
    {
        var table = new byte[Math.Max(Gsm7.Max(), Gsm7Extension.Max()) + 1];
        foreach (var c in Gsm7)
            table[c] = 1;
        foreach (var c in Gsm7Extension)
            table[c] = 2;
        return table;
    }
}
