using System.Diagnostics;
using Twilio.Security;

namespace NpsTriggers.Tests.Sms;

/// <summary>
/// The webhooks trust the Twilio SDK's <see cref="RequestValidator"/>; these pin down the scheme we rely on (the
/// stand-in signs the same way) against an implementation written apart from both.
/// </summary>
public sealed class TwilioRequestValidatorTests
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
    public void Validate_ASignatureComputedIndependently_IsAccepted() =>
        new RequestValidator("secret-token").Validate(Url, Form, PythonSignature("secret-token", Url, Form)).ShouldBeTrue();

    [Fact]
    public void Validate_AnyChangedPart_IsRefused()
    {
        var signature = PythonSignature("secret-token", Url, Form);
        new RequestValidator("other-token").Validate(Url, Form, signature).ShouldBeFalse();
        new RequestValidator("secret-token").Validate(Url.Replace("x=1", "x=2", StringComparison.Ordinal), Form, signature).ShouldBeFalse();
        new RequestValidator("secret-token").Validate(Url, new Dictionary<string, string>(Form) { ["Body"] = "0" }, signature).ShouldBeFalse();
        new RequestValidator("secret-token").Validate(Url, Form, "bm90LWEtc2lnbmF0dXJl").ShouldBeFalse();
    }
}
