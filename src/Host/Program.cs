using NpsTriggers.Host;
using NpsTriggers.Host.Cli;

if (args is ["rules", .. var rest])
    return RulesCommand.Run(rest, Console.Out);

await using var app = NpsHost.Build(args);
await app.RunAsync();
return 0;
