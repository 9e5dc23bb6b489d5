namespace NpsTriggers.Dispatch.Sms;

/// <summary>How many segments a survey SMS costs (GSM-7: 160 characters, 153 per part; otherwise UCS-2: 70, 67).</summary>
public static class SmsText
{
    private const string Gsm7 =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private const string Gsm7Extension = "^{}\\[~]|€\f";

    /// <summary>Segments Twilio bills for this text.</summary>
    public static (int Segments, string Encoding) Segments(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var septets = 0;
        foreach (var c in text)
        {
            if (Gsm7.Contains(c, StringComparison.Ordinal))
                septets++;
            else if (Gsm7Extension.Contains(c, StringComparison.Ordinal))
                septets += 2;
            else
            {
                var units = text.Length; // UTF-16 code units, as UCS-2 counts them
                return (units <= 70 ? 1 : (units + 66) / 67, "UCS-2");
            }
        }
        return (septets <= 160 ? 1 : (septets + 152) / 153, "GSM-7");
    }
}
