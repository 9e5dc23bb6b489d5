using NpsTriggers.Core.Faults;
using NpsTriggers.FailPointHook;

/// <summary>
/// The .NET startup hook (https://github.com/dotnet/runtime/blob/main/docs/design/features/host-startup-hook.md): the
/// runtime calls <see cref="Initialize"/> before the host's Main when <c>DOTNET_STARTUP_HOOKS</c> names this assembly.
/// It must be a type named StartupHook outside any namespace.
/// </summary>
#pragma warning disable CA1050 // The runtime looks the type up by this exact name, without a namespace.
internal static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize()
    {
        if (ArmedFailPoints.Parse(Environment.GetEnvironmentVariable(ArmedFailPoints.EnvironmentVariable)) is { } armed)
            AppContext.SetData(FailPoints.HookName, new Action<string>(armed.Reached));
    }
}
