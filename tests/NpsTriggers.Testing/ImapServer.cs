using System.Diagnostics;
using System.Globalization;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;

namespace NpsTriggers.Testing;

/// <summary>
/// A real IMAP server for a test: a private Dovecot (Debian's <c>dovecot-imapd</c>, scripts/ensure-deps.sh) with a generated
/// configuration in a temporary folder — loopback on a free port, no TLS, plaintext login, one user from a passwd file,
/// Maildir storage — run in the foreground and killed on dispose. Tests put messages in over IMAP (APPEND), as a mail
/// server delivering into the mailbox would, never into the Maildir behind Dovecot's back.
/// </summary>
public sealed class ImapServer : IAsyncDisposable
{
    public const string User = "bounces";
    public const string Password = "imap-test-password";

    private readonly Process _process;

    private ImapServer(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    public string Host => "127.0.0.1";
    public int Port { get; }
    public string Directory { get; }

    /// <summary>The <c>Bounces:*</c> settings that point the service at this mailbox.</summary>
    public IEnumerable<(string Key, string? Value)> Settings(TimeSpan pollInterval) =>
    [
        ("Bounces:Host", Host), ("Bounces:Port", Port.ToString(CultureInfo.InvariantCulture)), ("Bounces:Security", "None"),
        ("Bounces:Username", User), ("Bounces:Password", Password), ("Bounces:PollInterval", pollInterval.ToString("c", CultureInfo.InvariantCulture)),
    ];

    public static async Task<ImapServer> StartAsync()
    {
        if (!File.Exists("/usr/sbin/dovecot"))
            throw new InvalidOperationException("Dovecot is missing: run `bash scripts/ensure-deps.sh` (installs dovecot-imapd).");
        var port = FreePort.Next();
        var dir = Path.Combine(Path.GetTempPath(), "npstriggers-tests", $"imap-{Environment.ProcessId}-{port}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "mail"));
        // Dovecot refuses to run login or mail processes as root; as root (CI) they run as its own system users, and the
        // mail folder must be theirs to write.
        var root = Environment.UserName == "root";
        var (login, mailUser) = root ? ("dovenull", "dovecot") : (Environment.UserName, Environment.UserName);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path.Combine(dir, "mail"), (UnixFileMode)Convert.ToInt32("777", 8));
        await File.WriteAllTextAsync(Path.Combine(dir, "passwd"), $"{User}:{{PLAIN}}{Password}\n");
        var config = Path.Combine(dir, "dovecot.conf");
        await File.WriteAllTextAsync(config, $$"""
            protocols = imap
            listen = 127.0.0.1
            base_dir = {{dir}}/run
            state_dir = {{dir}}/state
            instance_name = nps-test-{{port}}
            log_path = {{dir}}/dovecot.log
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            mail_location = maildir:{{dir}}/mail/%u
            first_valid_uid = 0
            default_login_user = {{login}}
            default_internal_user = {{mailUser}}
            default_internal_group = {{mailUser}}
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{dir}}/passwd
            }
            userdb {
              driver = static
              args = uid={{mailUser}} gid={{mailUser}} home={{dir}}/mail/%u
            }
            service imap-login {
              chroot =
              inet_listener imap {
                address = 127.0.0.1
                port = {{port}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            service anvil {
              chroot =
            }
            """);
        var start = new ProcessStartInfo("/usr/sbin/dovecot") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-F", "-c", config })
            start.ArgumentList.Add(arg);
        var server = new ImapServer(Process.Start(start)!, port, dir);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = await server.ConnectAsync();
                await client.DisconnectAsync(true);
                return server;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ImapProtocolException or AuthenticationException
                                          && deadline.Elapsed < TimeSpan.FromSeconds(30) && !server._process.HasExited)
            {
                await Task.Delay(200);
            }
            catch (Exception e)
            {
                var log = File.Exists(Path.Combine(dir, "dovecot.log")) ? await File.ReadAllTextAsync(Path.Combine(dir, "dovecot.log")) : "";
                await server.DisposeAsync();
                throw new InvalidOperationException($"Dovecot did not start: {e.Message}\n{log}", e);
            }
        }
    }

    /// <summary>A logged-in client; the caller disposes it.</summary>
    public async Task<ImapClient> ConnectAsync()
    {
        var client = new ImapClient { Timeout = 10_000 };
        try
        {
            await client.ConnectAsync(Host, Port, SecureSocketOptions.None);
            await client.AuthenticateAsync(User, Password);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Delivers raw bytes into INBOX by IMAP APPEND (RFC 9051 §6.3.12), written by hand on a socket so that garbage goes in
    /// byte for byte: MailKit's append takes a parsed <c>MimeMessage</c>, which would tidy it up.
    /// </summary>
    public async Task AppendAsync(byte[] raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(Host, Port);
        using var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, System.Text.Encoding.Latin1);
        await Expect(reader, "* OK");
        await Write(stream, $"a LOGIN {User} {Password}\r\n");
        await Expect(reader, "a OK");
        await Write(stream, string.Create(CultureInfo.InvariantCulture, $"b APPEND INBOX {{{raw.Length}}}\r\n"));
        await Expect(reader, "+");
        await stream.WriteAsync(raw);
        await Write(stream, "\r\n");
        await Expect(reader, "b OK");
        await Write(stream, "c LOGOUT\r\n");
    }

    private static Task Write(Stream stream, string text) => stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text)).AsTask();

    private static async Task Expect(StreamReader reader, string prefix)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
                return;
            if (line.StartsWith(prefix.Split(' ')[0] + " ", StringComparison.Ordinal))
                throw new InvalidOperationException($"IMAP server answered: {line}");
        }
        throw new IOException($"IMAP connection closed while waiting for {prefix}");
    }

    /// <summary>The keywords (custom flags) of every INBOX message, in UID order.</summary>
    public async Task<IReadOnlyList<IReadOnlySet<string>>> KeywordsAsync()
    {
        using var client = await ConnectAsync();
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var uids = await client.Inbox.SearchAsync(SearchQuery.All);
        var summaries = uids.Count == 0 ? [] : await client.Inbox.FetchAsync(uids, MessageSummaryItems.Flags | MessageSummaryItems.UniqueId);
        await client.DisconnectAsync(true);
        return [.. summaries.OrderBy(s => s.UniqueId).Select(s => (IReadOnlySet<string>)new HashSet<string>(s.Keywords, StringComparer.OrdinalIgnoreCase))];
    }

    /// <summary>Removes every keyword again, as if the flags were lost: the next poll reads every message a second time.</summary>
    public async Task ClearKeywordsAsync(params string[] keywords)
    {
        using var client = await ConnectAsync();
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var uids = await client.Inbox.SearchAsync(SearchQuery.All);
        await client.Inbox.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Remove, keywords) { Silent = true });
        await client.DisconnectAsync(true);
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Dovecot's children may still hold a socket file for a moment; a temp folder left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
