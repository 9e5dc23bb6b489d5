using System.Diagnostics;
using NpsTriggers.Ingest.Replies.Sms;

namespace NpsTriggers.Tests.Sms;

public sealed class TwilioSignatureTests
{
    private static readonly Dictionary<string, string> Form = new()
    {
        ["To"] = "+15005550006", ["From"] = "+4915112345678", ["Body"] = "9 great courier", ["MessageSid"] = "SM123", ["AccountSid"] = "AC1",
    };

    private const string Url = "https://nps.example.com/twilio/inbound?x=1";

    /// <summary>The same scheme computed by Python's hmac module, an implementation we did not write.</summary>
    private static string PythonSignature(string token, string url, Dictionary<string, string> form)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("""
            import base64, hashlib, hmac, json, sys
            d = json.load(sys.stdin)
            data = d["url"] + "".join(k + v for k, v in sorted(d["form"].items()))
            print(base64.b64encode(hmac.new(d["token"].encode(), data.encode(), hashlib.sha1).digest()).decode())
            """);
        using var python = Process.Start(start)!;
        python.StandardInput.Write(System.Text.Json.JsonSerializer.Serialize(new { token, url, form }));
        python.StandardInput.Close();
        var output = python.StandardOutput.ReadToEnd().Trim();
        python.WaitForExit();
        return output;
    }

    [Fact]
    public void Compute_MatchesAnIndependentImplementation() =>
        TwilioSignature.Compute("secret-token", Url, Form).ShouldBe(PythonSignature("secret-token", Url, Form));

    [Fact]
    public void IsValid_AnyChangedPartOrMissingHeader_IsRefused()
    {
        var signature = TwilioSignature.Compute("secret-token", Url, Form);
        TwilioSignature.IsValid("secret-token", Url, Form, signature).ShouldBeTrue();
        TwilioSignature.IsValid("other-token", Url, Form, signature).ShouldBeFalse();
        TwilioSignature.IsValid("secret-token", Url.Replace("x=1", "x=2", StringComparison.Ordinal), Form, signature).ShouldBeFalse();
        TwilioSignature.IsValid("secret-token", Url, new Dictionary<string, string>(Form) { ["Body"] = "0" }, signature).ShouldBeFalse();
        TwilioSignature.IsValid("secret-token", Url, Form, null).ShouldBeFalse();
        TwilioSignature.IsValid("secret-token", Url, Form, "").ShouldBeFalse();
    }
}
