using System.Globalization;
using NpsTriggers.Bench;

// bash scripts/bench.sh [intake [events] | ratelimit [per-second [window-seconds]] | all]
//   a bare number is the intake's event count, as before.
var which = args.Length > 0 && !char.IsDigit(args[0][0]) ? args[0] : "intake";
var rest = args.Length > 0 && !char.IsDigit(args[0][0]) ? args[1..] : args;
Console.WriteLine($"NpsTriggers benchmarks, {TimeProvider.System.GetUtcNow():yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
if (which is "intake" or "all")
{
    var events = rest.Length > 0 && which == "intake" ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 100_000;
    var ratio = await IntakeBenchmark.RunAsync(events);
    Console.WriteLine($"RESULT intake/COPY ratio: {ratio:F3}");
}
if (which is "ratelimit" or "all")
{
    var rate = rest.Length > 0 && which == "ratelimit" ? double.Parse(rest[0], CultureInfo.InvariantCulture) : 50;
    var window = rest.Length > 1 && which == "ratelimit" ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 60;
    var ratio = await RateLimitBenchmark.RunAsync(rate, window);
    Console.WriteLine($"RESULT rate limit achieved/configured ratio: {ratio:F4}");
}
if (which is not ("intake" or "ratelimit" or "all"))
{
    Console.Error.WriteLine($"Unknown benchmark '{which}': intake, ratelimit or all.");
    return 2;
}
return 0;
