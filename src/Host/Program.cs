using NpsTriggers.Host;

await using var app = NpsHost.Build(args);
await app.RunAsync();
