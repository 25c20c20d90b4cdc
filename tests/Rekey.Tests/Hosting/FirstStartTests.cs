using System.Net;

namespace Rekey.Tests.Hosting;

/// <summary>The README's first command on a fresh machine: no data directory, no admin token, no master key configured.</summary>
public sealed class FirstStartTests : IAsyncLifetime, IDisposable
{
    private readonly SqliteTestStore _store = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _store.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Fact]
    public async Task a_fresh_start_creates_the_data_directory_a_private_admin_token_and_key_file_and_never_logs_the_token()
    {
        var dataDirectory = Path.Combine(_store.DataDirectory, "does", "not", "exist", "yet");
        await using var host = await RekeyHost.StartAsync(_store, new Dictionary<string, string?>
        {
            ["Rekey:DataDirectory"] = dataDirectory,
            ["Rekey:AdminToken"] = null,
            ["Rekey:MasterKeys:0"] = null,
        });

        var tokenFile = Path.Combine(dataDirectory, "admin-token");
        var keyFile = Path.Combine(dataDirectory, "master.key");
        Assert.True(File.Exists(Path.Combine(dataDirectory, "rekey.db")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }

        var token = (await File.ReadAllTextAsync(tokenFile)).Trim();
        Assert.True(token.Length >= 40, "a generated token carries at least 32 random bytes");
        using var admin = host.CreateClient(token);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(new Uri("/api/service/get/list", UriKind.Relative))).StatusCode);

        Assert.Contains(host.Logs.Lines, l => l.Contains(tokenFile, StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(token, StringComparison.Ordinal));
        var keyMaterial = (await File.ReadAllTextAsync(keyFile)).Trim().Split(':')[1];
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(keyMaterial, StringComparison.Ordinal));
    }

    [Fact]
    public async Task under_systemd_the_state_directory_holds_the_data_and_an_explicit_data_directory_still_wins()
    {
        var work = Directory.CreateTempSubdirectory("rekey-state-");
        try
        {
            var cwd = work.CreateSubdirectory("cwd").FullName;
            var state = Path.Combine(work.FullName, "state");
            var (server, _) = await ProgramProcess.StartServerAsync(cwd, new Dictionary<string, string> { ["STATE_DIRECTORY"] = $"{state}:{work.FullName}/logs" });
            using (server)
            {
                Assert.True(File.Exists(Path.Combine(state, "admin-token")), server.Output);
                Assert.Contains(server.Stdout, l => l.Trim() == "Data directory: " + state);
            }

            var explicitDirectory = Path.Combine(work.FullName, "explicit");
            var unused = Path.Combine(work.FullName, "unused-state");
            var (configured, _) = await ProgramProcess.StartServerAsync(cwd, new Dictionary<string, string> { ["STATE_DIRECTORY"] = unused },
                "--Rekey:DataDirectory=" + explicitDirectory);
            using (configured)
            {
                Assert.True(File.Exists(Path.Combine(explicitDirectory, "admin-token")), configured.Output);
            }

            Assert.False(Directory.Exists(unused));
            Assert.False(Directory.Exists(Path.Combine(work.FullName, "logs")));
            Assert.Empty(Directory.EnumerateFileSystemEntries(cwd));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
