using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Core.Access;

/// <summary>
/// Request rate limits of the public endpoints, each per client address (<see cref="ClientAddress"/>): a token bucket
/// that holds <see cref="Bucket.Burst"/> requests and refills at <see cref="Bucket.PerSecond"/>. A request over the limit
/// gets 429 problem details with <c>Retry-After</c>. Section <c>RequestRateLimits</c>.
/// </summary>
public sealed class RequestRateLimitOptions : IValidatableObject
{
    /// <summary>Off only for load tests from one address (the reply benchmark); never in production.</summary>
    /// <value>Defaults to true.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Networks of the proxies (ingress controller, load balancer) whose <c>X-Forwarded-For</c> names the client, in
    /// CIDR form (<c>10.0.0.0/8</c>). Without them every request behind a proxy counts against the proxy's address.
    /// Loopback is always trusted.
    /// </summary>
    /// <value>None by default.</value>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>
    /// <c>/s</c> and <c>/u</c>, the customer pages. A person needs three requests (page, answer, comment); a mail
    /// scanner fetches every link of a message; an office behind one NAT address holds many people.
    /// </summary>
    /// <value>Burst 120, 10 per second.</value>
    [Required]
    public Bucket Customer { get; set; } = new() { Burst = 120, PerSecond = 10 };

    /// <summary><c>/twilio</c>: status callbacks and replies arrive from Twilio's few addresses at the rate of the sends.</summary>
    /// <value>Burst 1,000, 200 per second.</value>
    [Required]
    public Bucket Webhook { get; set; } = new() { Burst = 1000, PerSecond = 200 };

    /// <summary>Everything behind a key (<c>/api</c>, <c>/dashboard</c>, <c>/hangfire</c>), while the address's key checks succeed.</summary>
    /// <value>Burst 200, 50 per second.</value>
    [Required]
    public Bucket Keyed { get; set; } = new() { Burst = 200, PerSecond = 50 };

    /// <summary>Failed key checks an address may make within <see cref="FailedKeyWindow"/> before <see cref="AfterFailedKeys"/> applies.</summary>
    /// <value>Defaults to 10.</value>
    [Range(1, 10_000)]
    public int FailedKeyChecks { get; set; } = 10;

    /// <summary>The window <see cref="FailedKeyChecks"/> counts in; the stricter limit lasts until it ends.</summary>
    /// <value>Defaults to 15 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailedKeyWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The limit on keyed endpoints for an address that used up <see cref="FailedKeyChecks"/>: a guess every few seconds at most.</summary>
    /// <value>Burst 1, one per 10 seconds.</value>
    [Required]
    public Bucket AfterFailedKeys { get; set; } = new() { Burst = 1, PerSecond = 0.1 };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var buckets = new[] { (nameof(Customer), Customer), (nameof(Webhook), Webhook), (nameof(Keyed), Keyed), (nameof(AfterFailedKeys), AfterFailedKeys) };
        foreach (var (name, bucket) in buckets)
        {
            var problems = new List<ValidationResult>();
            if (!Validator.TryValidateObject(bucket, new ValidationContext(bucket), problems, validateAllProperties: true))
                foreach (var problem in problems)
                    yield return new ValidationResult($"RequestRateLimits:{name}: {problem.ErrorMessage}", [name]);
        }
        foreach (var network in TrustedProxies)
            if (!System.Net.IPNetwork.TryParse(network, out _))
                yield return new ValidationResult($"RequestRateLimits:TrustedProxies: '{network}' is not a network in CIDR form (10.0.0.0/8).", [nameof(TrustedProxies)]);
    }

    /// <summary>A token bucket.</summary>
    public sealed class Bucket
    {
        /// <summary>Requests an address may make at once.</summary>
        [Range(1, 1_000_000)]
        public int Burst { get; set; } = 10;

        /// <summary>Requests per second the bucket refills with, fractions allowed (0.1 is one per 10 s).</summary>
        [Range(0.001, 1_000_000)]
        public double PerSecond { get; set; } = 1;
    }
}
