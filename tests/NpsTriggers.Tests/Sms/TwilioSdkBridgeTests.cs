using System.Net;
using NpsTriggers.Core.Sms;
using NpsTriggers.Dispatch.Sms;

namespace NpsTriggers.Tests.Sms;

public sealed class TwilioSdkBridgeTests
{
    /// <summary>The end of the handler chain: answers 201 and keeps the address it was asked for.</summary>
    private sealed class Terminal : HttpMessageHandler
    {
        public Uri? Requested { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requested = request.RequestUri;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Created));
        }
    }

    private static async Task<Uri?> SentToAsync(string baseAddress)
    {
        var terminal = new Terminal();
        using var http = new HttpClient(new TwilioSdkBridge(new TwilioOptions { BaseAddress = new Uri(baseAddress) }) { InnerHandler = terminal });
        using var response = await http.PostAsync(new Uri("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1"), null);
        return terminal.Requested;
    }

    [Fact]
    public async Task SendAsync_DefaultBaseAddress_LeavesTheSdksAddressAlone() =>
        (await SentToAsync("https://api.twilio.com")).ShouldBe(new Uri("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1"));

    [Theory]
    [InlineData("http://127.0.0.1:5123", "http://127.0.0.1:5123/2010-04-01/Accounts/AC1/Messages.json?x=1")]
    [InlineData("http://egress.internal:8080/twilio", "http://egress.internal:8080/twilio/2010-04-01/Accounts/AC1/Messages.json?x=1")]
    [InlineData("https://egress.internal/twilio/", "https://egress.internal/twilio/2010-04-01/Accounts/AC1/Messages.json?x=1")]
    public async Task SendAsync_AnotherBaseAddress_GetsTheRequestWithItsPathAsPrefix(string baseAddress, string expected) =>
        (await SentToAsync(baseAddress)).ShouldBe(new Uri(expected));
}
