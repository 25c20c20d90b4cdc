using System.Reflection;

namespace Rekey.Server.Hosting;

/// <summary>
/// The server's own <c>--help</c> and <c>--version</c>, answered before a host is built: nothing is read, created or
/// bound; and the <c>backup</c> command (<see cref="BackupCommand"/>), which builds no host either. Every other argument
/// is configuration (<c>--urls</c>, <c>--Rekey:Key=value</c>).
/// </summary>
internal static class ServerCommandLine
{
    private const string Help = """
        Rekey server: OAuth 2.0 client secrets, Authlete API v3 compatible.

        Usage: Rekey.Server [--urls <url>] [--Rekey:<key>=<value> ...]
               Rekey.Server backup <file> [--Rekey:<key>=<value> ...]

          --urls <url>            where to listen (default http://127.0.0.1:5080; or ASPNETCORE_URLS)
          --Rekey:<key>=<value>   a setting of the Rekey section (or the environment variable Rekey__<key>)
          -h, --help              this text
          --version               the version
          backup <file>           a consistent copy of the SQLite store into a new file (mode 0600), also while the
                                  server runs; the master keys and the admin token are not in it

        Settings (default):
          DataDirectory                  data, relative to the working directory ($STATE_DIRECTORY under systemd)
          AdminToken                     generated into <DataDirectory>/admin-token
          MasterKeys:0, MasterKeys:1 …   id:base64 of 32 bytes; default: the key file <DataDirectory>/master.key
          Storage:Provider               sqlite or postgres (sqlite)
          Storage:ConnectionString       required for postgres
          Storage:SqliteSynchronous      FULL or NORMAL (FULL)
          Storage:SqliteWriteQueueLimit  writes waiting for the SQLite writer before 503 A000105 (4096)
          Storage:StartupTimeoutSeconds  how long the start waits for a database that does not answer (30)
          ForwardedHeaders:KnownProxies:0, ForwardedHeaders:KnownNetworks:0 …
                                         proxies trusted for X-Forwarded-For/-Proto/-Host (none)
          PublicBaseUrl                  public origin for token issuers (the request's origin)
          MaxRequestBodyBytes            larger bodies get 413 A000207 (65536)

        A start that fails prints one line "rekey: <reason>" on standard error and exits with 1.
        Operator guide: docs/deployment.md
        """;

    /// <summary>The exit code when <paramref name="args"/> asked for help, the version or a backup, otherwise null.</summary>
    public static async Task<int?> AnswerAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args is [BackupCommand.Name, .. var rest])
        {
            var code = BackupCommand.Run(rest, output, error);
            await output.FlushAsync();
            return code;
        }

        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            output.WriteLine(Help);
            return 0;
        }

        if (args.Contains("--version"))
        {
            output.WriteLine("Rekey.Server " + Version);
            return 0;
        }

        return null;
    }

    public static string Version =>
        typeof(ServerCommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
