using NpsTriggers.Host;
using NpsTriggers.Host.Cli;

if (args is ["rules", .. var rest])
    return RulesCommand.Run(rest, Console.Out);
if (args is ["migrate", .. var migrateArgs])
    return await MigrateCommand.RunAsync(migrateArgs, Console.Out, Console.Error);

await using var app = NpsHost.Build(args);
await app.RunAsync();
return 0;
