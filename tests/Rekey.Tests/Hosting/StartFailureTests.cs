using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Rekey.Tests.Hosting;

/// <summary>
/// A start the server must refuse, as an operator sees it: exit code 1, one line on standard error that names the
/// cause, no stack trace anywhere, and the data directory as it was.
/// </summary>
public sealed class StartFailureTests : IDisposable
{
    private static readonly string MasterKey = "k1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rekey-start-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task a_port_in_use_exits_1_with_one_line_naming_the_address_and_leaves_the_data_directory_as_it_was()
    {
        var data = Path.Combine(_work.FullName, "data");
        await using (var store = new SqliteTestStore())
        {
            // A data directory from an earlier run: the second start must not change it.
            await using var earlier = await RekeyHost.StartAsync(store, new Dictionary<string, string?>
            {
                ["Rekey:DataDirectory"] = data,
                ["Rekey:MasterKeys:0"] = MasterKey,
            });
        }

        // What the earlier run left in its write-ahead log goes into the database file, so that only new writes could differ.
        await using (var checkpoint = new SqliteConnection($"Data Source={Path.Combine(data, "rekey.db")};Pooling=False"))
        {
            await checkpoint.OpenAsync();
            await using var command = checkpoint.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            await command.ExecuteNonQueryAsync();
        }

        var before = Snapshot(data);
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        using var server = await ProgramProcess.RunServerToExitAsync(_work.FullName, "--urls=" + url, "--Rekey:DataDirectory=" + data,
            "--Rekey:MasterKeys:0=" + MasterKey, "--Rekey:AdminToken=" + RekeyHost.AdminToken);

        var line = AssertRefused(server);
        Assert.StartsWith("rekey: cannot listen: ", line, StringComparison.Ordinal);
        Assert.Contains(url, line, StringComparison.Ordinal);
        Assert.Contains("address already in use", line, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(data));
    }

    [Fact]
    public async Task an_unreachable_postgresql_is_waited_for_until_the_startup_timeout_then_exits_1_with_one_line_naming_it_and_writes_nothing()
    {
        var data = Directory.CreateDirectory(Path.Combine(_work.FullName, "data")).FullName;
        var port = Ports.Unused();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        using var server = await ProgramProcess.RunServerToExitAsync(_work.FullName, "--Rekey:DataDirectory=" + data, "--Rekey:Storage:Provider=postgres",
            $"--Rekey:Storage:ConnectionString=Host=127.0.0.1;Port={port};Database=rekey;Username=rekey;Password=never-shown;Timeout=3",
            "--Rekey:MasterKeys:0=" + MasterKey, "--Rekey:AdminToken=" + RekeyHost.AdminToken, "--urls=http://127.0.0.1:0",
            "--Rekey:Storage:StartupTimeoutSeconds=3");

        var line = AssertRefused(server);
        Assert.StartsWith("rekey: the store is unavailable: PostgreSQL is unavailable", line, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.EndsWith("; gave up after 3 s (Rekey:Storage:StartupTimeoutSeconds=3).", line, StringComparison.Ordinal);
        Assert.Contains(server.Stdout, l => l.Contains("The store does not answer yet; waiting up to 3 s", StringComparison.Ordinal));
        // The process start and the .NET runtime take a few seconds on a busy machine; the wait itself ends at 3 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"exited after {clock.Elapsed}");
        Assert.DoesNotContain("never-shown", server.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(data));
    }

    [Fact]
    public async Task a_data_directory_that_cannot_be_created_exits_1_with_one_line_naming_it_and_the_file_in_the_way()
    {
        var file = Path.Combine(_work.FullName, "not-a-directory");
        await File.WriteAllTextAsync(file, "in the way");
        var data = Path.Combine(file, "data");

        using var server = await ProgramProcess.RunServerToExitAsync(_work.FullName, "--Rekey:DataDirectory=" + data, "--urls=http://127.0.0.1:0");

        var line = AssertRefused(server);
        Assert.Equal($"rekey: the data directory {data} cannot be used: {file} is a file, not a directory (Rekey:DataDirectory).", line);
        Assert.Equal("in the way", await File.ReadAllTextAsync(file));
        Assert.Equal([file], Directory.EnumerateFileSystemEntries(_work.FullName));
    }

    [Fact]
    public async Task a_data_directory_without_write_permission_exits_1_with_one_line_naming_it()
    {
        if (OperatingSystem.IsWindows() || Environment.IsPrivilegedProcess)
        {
            // Root writes anywhere: the file-in-the-way test above covers the unusable directory there.
            return;
        }

        var data = Directory.CreateDirectory(Path.Combine(_work.FullName, "read-only")).FullName;
        File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            using var server = await ProgramProcess.RunServerToExitAsync(_work.FullName, "--Rekey:DataDirectory=" + data, "--urls=http://127.0.0.1:0");

            var line = AssertRefused(server);
            Assert.StartsWith($"rekey: the data directory {data} cannot be used: ", line, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(data));
        }
        finally
        {
            File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Theory]
    [InlineData("--Rekey:Storage:SqliteWriteQueueLimit=0", "rekey: invalid configuration: Rekey:Storage:SqliteWriteQueueLimit must be between 1 and 1048576.")]
    [InlineData("--Rekey:SigningKeyActivationDelay=-00:01:00", "rekey: invalid configuration: Rekey:SigningKeyActivationDelay must be between 00:00:00 and 7.00:00:00.")]
    [InlineData("--Rekey:Storage:Provider=mysql", "rekey: invalid configuration: Rekey:Storage:Provider must be one of: sqlite, postgres (got 'mysql').")]
    [InlineData("--urls=http://127.0.0.1:0;nonsense", "rekey: invalid configuration: Invalid url: 'nonsense' (--urls or ASPNETCORE_URLS)")]
    [InlineData("--Rekey:Webhooks:LeaseMarginSeconds=0", "rekey: invalid configuration: Rekey:Webhooks:LeaseMarginSeconds must be between 1 and 300 (got 0).")]
    [InlineData("--Rekey:Storage:StartupTimeoutSeconds=-1", "rekey: invalid configuration: Rekey:Storage:StartupTimeoutSeconds must be between 0 and 3600.")]
    [InlineData("--Rekey:ForwardedHeaders:KnownProxies:0=10.0.0", "rekey: invalid configuration: Rekey:ForwardedHeaders:KnownProxies entries must be IP addresses such as 10.0.0.1 (got '10.0.0').")]
    [InlineData("--Rekey:ForwardedHeaders:KnownNetworks:0=10.0.0.1/8", "rekey: invalid configuration: Rekey:ForwardedHeaders:KnownNetworks entries must be networks in CIDR notation such as 10.0.0.0/8, without host bits (got '10.0.0.1/8').")]
    public async Task invalid_configuration_exits_1_with_one_line_naming_the_setting_and_creates_no_data_directory(string setting, string expected)
    {
        using var server = await ProgramProcess.RunServerToExitAsync(_work.FullName, setting);

        Assert.Equal(expected, AssertRefused(server));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work.FullName));
    }

    [Fact]
    public async Task help_and_version_answer_on_standard_output_and_exit_0_without_creating_a_data_directory()
    {
        using var help = await ProgramProcess.RunServerToExitAsync(_work.FullName, "--help");
        using var version = await ProgramProcess.RunServerToExitAsync(_work.FullName, "--version");

        Assert.True(help.ExitCode == 0, help.Output);
        Assert.Contains(help.Stdout, l => l.StartsWith("Usage: Rekey.Server ", StringComparison.Ordinal));
        Assert.Contains(help.Stdout, l => l.Contains("Storage:SqliteWriteQueueLimit", StringComparison.Ordinal));
        Assert.True(version.ExitCode == 0, version.Output);
        Assert.Matches(@"^Rekey\.Server \d+\.\d+\.\d+", Assert.Single(version.Stdout));
        Assert.Empty(help.Stderr.Concat(version.Stderr));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work.FullName));
    }

    [Fact]
    public async Task started_from_another_directory_it_applies_its_shipped_settings_keeps_data_under_the_working_directory_and_logs_no_query()
    {
        const string marker = "query-secret-c9f1e2";
        var (server, baseAddress) = await ProgramProcess.StartServerAsync(_work.FullName, "--Rekey:AdminToken=" + RekeyHost.AdminToken);
        using (server)
        {
            using var admin = new HttpClient { BaseAddress = baseAddress };
            admin.DefaultRequestHeaders.Authorization = new("Bearer", RekeyHost.AdminToken);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(new Uri($"/api/service/get/list?client_secret={marker}", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync(new Uri($"/nowhere?client_secret={marker}", UriKind.Relative))).StatusCode);
        }

        var data = Path.Combine(_work.FullName, "data");
        Assert.True(File.Exists(Path.Combine(data, "rekey.db")), server.Output);
        Assert.Contains(server.Stdout, l => l.Trim() == "Data directory: " + data);
        // The content root is the server's own directory, whose appsettings.json keeps the framework's request lines out.
        Assert.Contains(server.Stdout, l => l.Trim().TrimEnd('/') == "Content root path: " + AppContext.BaseDirectory.TrimEnd('/'));
        Assert.DoesNotContain(marker, server.Output, StringComparison.Ordinal);
    }

    /// <summary>Exit code 1, exactly one line on standard error, no stack trace on either stream; returns the line.</summary>
    /// <summary>A data directory a server started on with <see cref="MasterKey"/> and stopped, its write-ahead log checkpointed.</summary>
    private async Task<string> EarlierRunAsync()
    {
        var data = Path.Combine(_work.FullName, "data");
        await using (var store = new SqliteTestStore())
        {
            await using var earlier = await RekeyHost.StartAsync(store, new Dictionary<string, string?>
            {
                ["Rekey:DataDirectory"] = data,
                ["Rekey:MasterKeys:0"] = MasterKey,
            });
        }

        await using var checkpoint = new SqliteConnection($"Data Source={Path.Combine(data, "rekey.db")};Pooling=False");
        await checkpoint.OpenAsync();
        await using var command = checkpoint.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await command.ExecuteNonQueryAsync();
        return data;
    }

    [Fact]
    public async Task a_start_with_a_new_master_key_that_fails_on_a_taken_port_changes_nothing_and_the_old_key_alone_still_starts()
    {
        // The issue's repro: once, this start rewrapped every data key under the new key and committed before it failed.
        var data = await EarlierRunAsync();
        var before = Snapshot(data);
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var newKey = "k2:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        using var refused = await ProgramProcess.RunServerToExitAsync(_work.FullName, $"--urls=http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}",
            "--Rekey:DataDirectory=" + data, "--Rekey:MasterKeys:0=" + MasterKey, "--Rekey:MasterKeys:1=" + newKey, "--Rekey:AdminToken=" + RekeyHost.AdminToken);
        Assert.StartsWith("rekey: cannot listen: ", AssertRefused(refused), StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(data));

        // Rolling back to the old key alone: the server starts and serves.
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, new Dictionary<string, string?> { ["Rekey:DataDirectory"] = data, ["Rekey:MasterKeys:0"] = MasterKey });
        using var admin = host.CreateAdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(new Uri("/api/keys/get/list", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task a_database_migrated_by_a_newer_release_refuses_the_start_with_one_line_and_is_left_as_it_was()
    {
        var data = await EarlierRunAsync();
        await using (var newer = new SqliteConnection($"Data Source={Path.Combine(data, "rekey.db")};Pooling=False"))
        {
            await newer.OpenAsync();
            await using var command = newer.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0); PRAGMA wal_checkpoint(TRUNCATE);";
            await command.ExecuteNonQueryAsync();
        }

        var before = Snapshot(data);

        using var server = await ProgramProcess.RunServerToExitAsync(_work.FullName, "--urls=http://127.0.0.1:0", "--Rekey:DataDirectory=" + data,
            "--Rekey:MasterKeys:0=" + MasterKey, "--Rekey:AdminToken=" + RekeyHost.AdminToken);

        var known = Rekey.Server.Storage.Migrations.For("sqlite")[^1].Version;
        Assert.Equal($"rekey: the database schema is at version 9999, newer than this release of Rekey knows (up to {known}): run the release that migrated it, or a newer one",
            AssertRefused(server));
        Assert.Equal(before, Snapshot(data));
    }

    [Fact]
    public async Task the_data_directory_is_private_to_the_owner_and_so_are_the_database_and_its_journals()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes only.
        }

        var data = Path.Combine(_work.FullName, "fresh", "data");
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, new Dictionary<string, string?> { ["Rekey:DataDirectory"] = data, ["Rekey:MasterKeys:0"] = null });
        using var admin = host.CreateAdminClient();
        await admin.CreateServiceAsync();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        foreach (var file in new[] { "rekey.db", "rekey.db-wal", "rekey.db-shm", "master.key" })
        {
            Assert.Equal((file, UnixFileMode.UserRead | UnixFileMode.UserWrite), (file, File.GetUnixFileMode(Path.Combine(data, file))));
        }
    }

    private static string AssertRefused(ProgramProcess server)
    {
        Assert.True(server.ExitCode == 1, $"exit code {server.ExitCode}\n{server.Output}");
        Assert.False(server.Output.Contains("   at ", StringComparison.Ordinal), "A stack trace in the output of a refused start:\n" + server.Output);
        Assert.DoesNotContain(server.Stdout, l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal));
        return Assert.Single(server.Stderr, l => l.Length > 0);
    }

    /// <summary>
    /// Every file under <paramref name="directory"/> with its SHA-256, but SQLite's shared-memory index (rebuilt by every
    /// process that opens the database) and an empty write-ahead log (deleted when the last connection closes): those
    /// come and go without a byte of data changing.
    /// </summary>
    private static SortedDictionary<string, string> Snapshot(string directory) =>
        new(Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("-shm", StringComparison.Ordinal) && !(f.EndsWith("-wal", StringComparison.Ordinal) && new FileInfo(f).Length == 0))
            .ToDictionary(f => Path.GetRelativePath(directory, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);
}
