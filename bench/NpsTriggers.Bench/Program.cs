using System.Globalization;
using NpsTriggers.Bench;

// dotnet run -c Release --project bench/NpsTriggers.Bench -- [events] | intake [events] | dispatch | all [events]   (scripts/bench.sh)
// dispatch parts alone: sms-throttled, sms, email-throttled, email; due (due-to-send delay at 10k and 1M pending); memory (peak RSS per role);
// provider-latency [sms] [emails] (issue 21: stand-ins with a real provider's latency, calls in flight against the sequential baseline); replies (wrk against the survey links and the
// response API). Every benchmark's last line is its ratio.
var which = args.Length > 0 && !char.IsDigit(args[0][0]) ? args[0] : "intake";
// replies [connections...]: the wrk concurrency levels (default 32, 64 and 128).
var rest = args.Length > 0 && !char.IsDigit(args[0][0]) ? args[1..] : args;
var events = rest.Length > 0 && int.TryParse(rest[0], CultureInfo.InvariantCulture, out var given) ? given : 100_000;
Console.WriteLine($"NpsTriggers benchmarks, {TimeProvider.System.GetUtcNow():yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
switch (which)
{
    case "intake":
        await Intake();
        break;
    case "dispatch":
        await Dispatch();
        break;
    case "sms-throttled" or "sms" or "email-throttled" or "email":
        await DispatchPart(which);
        break;
    case "replies":
        await Replies();
        break;
    case "recording-statement":
        // recording-statement [answers per round] [rounds]: the API answers' statement alone, against a plan per
        // execution (lone answers) and against the foreign key it no longer checks (batches of 10).
        var statement = await RecordingStatementBenchmark.RunAsync(rest.Length > 0 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 20_000,
            rest.Length > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 5);
        Console.WriteLine($"RESULT recording-statement PostgreSQL CPU per lone answer, one plan kept/planned each time: {statement:F3}");
        break;
    case "stream-catch-up":
        // stream-catch-up [backlog] [batch]: the stream's read draining a backlog, against the same read free to sort.
        var catchUp = await StreamCatchUpBenchmark.RunAsync(rest.Length > 0 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 100_000,
            rest.Length > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 200);
        Console.WriteLine($"RESULT stream-catch-up PostgreSQL CPU for the backlog, as shipped/free to sort: {catchUp:F3}");
        break;
    case "due":
        await Due();
        break;
    case "memory":
        await Memory();
        break;
    case "provider-latency":
        await ProviderLatency();
        break;
    case "provider-latency-quick":
        // provider-latency-quick sms|email [count]: one channel with calls in flight, no baseline.
        var quick = await ProviderLatencyBenchmark.RunQuickAsync(rest.Length > 0 ? rest[0] : "sms", rest.Length > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 16_000);
        Console.WriteLine($"RESULT provider-latency-quick achieved/cap: {quick:F3}");
        break;
    case "all":
        await Intake();
        await Dispatch();
        await Due();
        await Replies();
        await Memory();
        break;
    default:
        Console.Error.WriteLine($"Unknown benchmark '{which}': use intake [events], dispatch, due, replies, recording-statement [answers] [rounds], stream-catch-up [backlog] [batch], memory, provider-latency [sms] [emails], provider-latency-quick sms|email [count] or all [events].");
        return 2;
}
return 0;

async Task Intake()
{
    var ratio = await IntakeBenchmark.RunAsync(events);
    Console.WriteLine($"RESULT intake/COPY ratio: {ratio:F3}");
}

async Task ProviderLatency()
{
    // provider-latency [sms] [emails]: issue 21's counts by default.
    var sms = rest.Length > 0 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 20_000;
    var emails = rest.Length > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 10_000;
    var ratio = await ProviderLatencyBenchmark.RunAsync(sms, emails);
    Console.WriteLine($"RESULT provider-latency achieved/cap: {ratio:F3}");
}

async Task Memory()
{
    var ratio = await MemoryBenchmark.RunAsync();
    Console.WriteLine($"RESULT memory loaded/idle ratio (largest role): {ratio:F3}");
}

async Task Due()
{
    var ratio = await DueSendBenchmark.RunAsync([10_000, 1_000_000], probes: 2_000, spread: TimeSpan.FromSeconds(40));
    Console.WriteLine($"RESULT due-send p99 1M/10k ratio: {ratio:F3}");
}

async Task Replies()
{
    int[] levels = which == "replies" && rest.Length > 0 ? [.. rest.Select(a => int.Parse(a, CultureInfo.InvariantCulture))] : [32, 64, 128];
    var r = await ReplyBenchmark.RunAsync(invitations: 50_000, duration: TimeSpan.FromSeconds(15), concurrency: levels);
    // One line with both recording loads against bare Kestrel's POST of the same run (issue 21: >= 0.20 each, p99 < 25 ms).
    var met = r.Answers >= ReplyBenchmark.TargetRatio && r.Api >= ReplyBenchmark.TargetRatio
        && r.AnswersP99Ms < ReplyBenchmark.TargetP99Ms && r.ApiP99Ms < ReplyBenchmark.TargetP99Ms;
    Console.WriteLine($"RESULT replies ({r.Connections} connections): score answers/bare POST {r.Answers:F3} (p99 {r.AnswersP99Ms:F1} ms), " +
        $"API answers/bare POST {r.Api:F3} (p99 {r.ApiP99Ms:F1} ms); target >= {ReplyBenchmark.TargetRatio:F2} each with p99 < {ReplyBenchmark.TargetP99Ms:F0} ms: {(met ? "met" : "not met")}");
}

async Task Dispatch()
{
    foreach (var part in new[] { "sms-throttled", "sms", "email-throttled", "email" })
        await DispatchPart(part);
}

async Task DispatchPart(string part)
{
    // Issue 4: 50/s with a small burst, two replicas. Issue 7: unthrottled against one Hangfire job per send.
    var (label, ratio) = part switch
    {
        "sms-throttled" => ("sms throttled achieved/configured", await SmsDispatchBenchmark.ThrottledAsync(perSecond: 50, burst: 5)),
        "sms" => ("sms dispatch ours/naive", await SmsDispatchBenchmark.UnthrottledAsync(count: 20_000, naiveCount: 5_000)),
        "email-throttled" => ("email throttled achieved/configured", await EmailDispatchBenchmark.ThrottledAsync(perSecond: 50, burst: 5)),
        _ => ("email dispatch ours/naive", await EmailDispatchBenchmark.UnthrottledAsync(count: 10_000, naiveCount: 2_000)),
    };
    Console.WriteLine($"RESULT {label} ratio: {ratio:F3}");
}
