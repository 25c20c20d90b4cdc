using Microsoft.Data.Sqlite;
using Rekey.Server.Storage.Sqlite;

namespace Rekey.Server.Hosting;

/// <summary>
/// <c>Rekey.Server backup &lt;file&gt; [--Rekey:DataDirectory=…]</c>: a consistent copy of the SQLite store, taken while
/// the server runs (<see cref="SqliteBackup"/>). It reads the same settings as the server (command line, <c>Rekey__</c>
/// environment variables, the <c>appsettings.json</c> beside the binary, <c>$STATE_DIRECTORY</c>) to find the database,
/// and builds no host: nothing listens, nothing is migrated or created besides the copy.
/// </summary>
internal static class BackupCommand
{
    public const string Name = "backup";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args is not [var target, .. var settings] || target.StartsWith('-'))
        {
            error.WriteLine("rekey: usage: Rekey.Server backup <file> [--Rekey:<key>=<value> ...]");
            return 2;
        }

        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(settings)
            .Build();
        var provider = configuration["Rekey:Storage:Provider"] ?? "sqlite";
        if (!provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            error.WriteLine($"rekey: backup copies a SQLite store; this one is {provider}: use pg_dump (docs/deployment.md, Backups).");
            return 1;
        }

        var database = DatabasePath(configuration);
        var full = Path.GetFullPath(target);
        if (File.Exists(full) || Directory.Exists(full))
        {
            error.WriteLine($"rekey: backup: {full} exists; it is not overwritten.");
            return 1;
        }

        if (!File.Exists(database))
        {
            error.WriteLine($"rekey: backup: no database at {database} (Rekey:DataDirectory or Rekey:Storage:ConnectionString).");
            return 1;
        }

        try
        {
            var bytes = SqliteBackup.Copy(database, full);
            output.WriteLine($"Backed up {database} to {full} ({bytes} bytes, mode 0600). Keep the master keys apart from it: docs/deployment.md.");
            return 0;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"rekey: backup of {database} to {full} failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>The SQLite file the server would open with these settings (see <c>RekeyHosting.CreateStore</c>).</summary>
    private static string DatabasePath(IConfiguration configuration)
    {
        if (configuration["Rekey:Storage:ConnectionString"] is { Length: > 0 } connectionString)
        {
            return Path.GetFullPath(new SqliteConnectionStringBuilder(connectionString).DataSource);
        }

        var dataDirectory = configuration["Rekey:DataDirectory"] is { Length: > 0 } configured
            ? configured
            : Environment.GetEnvironmentVariable(RekeyHosting.StateDirectoryVariable) is { Length: > 0 } state ? state.Split(':')[0] : new RekeyOptions().DataDirectory;
        return Path.Combine(Path.GetFullPath(dataDirectory), "rekey.db");
    }
}
