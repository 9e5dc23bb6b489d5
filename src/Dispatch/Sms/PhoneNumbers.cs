using PhoneNumbers;

namespace NpsTriggers.Dispatch.Sms;

/// <summary>E.164 normalisation with libphonenumber: an invalid number is a permanent failure with a reason, never a retry.</summary>
public static class PhoneNumberRules
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    public static bool TryNormalise(string raw, string defaultRegion, out string e164, out string? reason)
    {
        e164 = "";
        try
        {
            var number = Util.Parse(raw, defaultRegion);
            if (!Util.IsValidNumber(number))
            {
                reason = $"'{raw}' is not a valid phone number";
                return false;
            }
            e164 = Util.Format(number, PhoneNumberFormat.E164);
            reason = null;
            return true;
        }
        catch (NumberParseException e)
        {
            reason = $"'{raw}' is not a phone number: {e.Message}";
            return false;
        }
    }
}
