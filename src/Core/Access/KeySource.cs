namespace NpsTriggers.Core.Access;

/// <summary>
/// The configured keys of one policy (<see cref="KeyPolicies"/>), registered by the area whose options hold them, so the
/// key check knows no area: <c>services.AddSingleton(sp =&gt; new KeySource(KeyPolicies.Events, () =&gt; …))</c>.
/// </summary>
/// <param name="Keys">Read once, when the key ring is built at start.</param>
public sealed record KeySource(string Policy, Func<IEnumerable<string>> Keys);
