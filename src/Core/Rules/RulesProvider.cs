using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace NpsTriggers.Core.Rules;

/// <summary>
/// The current send rules, reloaded when the file changes (an edit, or Kubernetes swapping a mounted ConfigMap).
/// New rules apply to events read after the reload. An invalid edit keeps the last good rules, logs every error
/// and reports <see cref="Degraded"/> until a valid file arrives. At start an invalid file is fatal.
/// </summary>
public sealed partial class RulesProvider : IDisposable
{
    private readonly string _path;
    private readonly ILogger<RulesProvider> _logger;
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer _debounce;
    private readonly Lock _gate = new();
    private volatile SendRules _current;
    private string _hash;

    public RulesProvider(string path, ILogger<RulesProvider> logger, bool watch = true)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
        _current = SendRulesLoader.Load(_path);
        _hash = Hash();
        _debounce = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        if (watch)
        {
            // Watch the folder, not the file: editors replace files and ConfigMaps swap a symlinked folder.
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.CreationTime };
            _watcher.Changed += (_, _) => Schedule();
            _watcher.Created += (_, _) => Schedule();
            _watcher.Renamed += (_, _) => Schedule();
            _watcher.Deleted += (_, _) => Schedule();
            _watcher.EnableRaisingEvents = true;
        }
    }

    public SendRules Current => _current;

    /// <summary>The errors of the last reload that failed; empty while the file on disk is the one in use.</summary>
    public IReadOnlyList<string> Errors { get; private set; } = [];

    public bool Degraded => Errors.Count > 0;

    /// <summary>Raised after new rules took effect.</summary>
    public event Action<SendRules>? Reloaded;

    /// <summary>Reads the file again now; false when it is invalid (the previous rules stay).</summary>
    public bool Reload()
    {
        lock (_gate)
        {
            string hash;
            try
            {
                hash = Hash();
            }
            catch (IOException e)
            {
                Errors = [$"{_path}: {e.Message}"];
                LogInvalid(string.Join(Environment.NewLine, Errors));
                return false;
            }
            if (hash == _hash && !Degraded)
                return true;
            try
            {
                var rules = SendRulesLoader.Load(_path);
                _current = rules;
                _hash = hash;
                Errors = [];
                LogReloaded(_path, rules.Rules.Count);
                Reloaded?.Invoke(rules);
                return true;
            }
            catch (RulesValidationException e)
            {
                _hash = hash;
                Errors = e.Errors;
                LogInvalid(string.Join(Environment.NewLine, e.Errors));
                return false;
            }
        }
    }

    private void Schedule() => _debounce.Change(TimeSpan.FromMilliseconds(300), Timeout.InfiniteTimeSpan);

    private string Hash() => File.Exists(_path) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(_path))) : "missing";

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Send rules reloaded from {Path}: {Count} rules")]
    private partial void LogReloaded(string path, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Send rules edit rejected; the previous rules stay in force:\n{Errors}")]
    private partial void LogInvalid(string errors);
}
