using System.Globalization;
using NpsTriggers.Bench;

// dotnet run -c Release --project bench/NpsTriggers.Bench -- [events]   (scripts/bench.sh)
var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
Console.WriteLine($"NpsTriggers benchmarks, {TimeProvider.System.GetUtcNow():yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
var ratio = await IntakeBenchmark.RunAsync(events);
Console.WriteLine($"RESULT intake/COPY ratio: {ratio:F3}");
