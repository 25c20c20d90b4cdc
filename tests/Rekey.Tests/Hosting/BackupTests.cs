using System.Collections.Concurrent;
using System.Net;
using Microsoft.Data.Sqlite;

namespace Rekey.Tests.Hosting;

/// <summary>
/// <c>Rekey.Server backup &lt;file&gt;</c>, run as an operator runs it beside a serving node: a consistent copy while
/// secrets change, which restores into a new data directory (with the same master key) that serves the same clients.
/// </summary>
public sealed class BackupTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rekey-backup-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task a_backup_taken_while_secrets_change_restores_into_a_server_that_serves_the_clients_and_verifies_their_secrets()
    {
        var backup = Path.Combine(_work.FullName, "rekey-backup.db");
        long serviceId;
        List<TestClient> quiet;
        TestClient busy;
        ConcurrentQueue<string> acknowledged = new();
        await using (var store = new SqliteTestStore())
        await using (var host = await RekeyHost.StartAsync(store))
        {
            using var admin = host.CreateAdminClient();
            serviceId = await admin.CreateServiceAsync();
            quiet = [];
            for (var i = 0; i < 3; i++)
            {
                quiet.Add(await admin.CreateClientAsync(serviceId, $$"""{"clientName":"quiet-{{i}}","grantTypes":["CLIENT_CREDENTIALS"]}"""));
            }

            busy = await admin.CreateClientAsync(serviceId, """{"clientName":"busy","grantTypes":["CLIENT_CREDENTIALS"]}""");
            using var stop = new CancellationTokenSource();
            var writes = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    acknowledged.Enqueue(await admin.UpdateSecretAsync(serviceId, busy.ClientId, $"during-backup-{i}"));
                }
            });
            await Waits.UntilAsync(() => acknowledged.Count >= 20, "20 secret updates before the backup");

            using var run = await ProgramProcess.RunServerToExitAsync(_work.FullName, "backup", backup, "--Rekey:DataDirectory=" + store.DataDirectory);
            var during = acknowledged.Count;
            await Waits.UntilAsync(() => acknowledged.Count >= during + 20, "20 secret updates after the backup");
            await stop.CancelAsync();
            await writes;

            Assert.True(run.ExitCode == 0, run.Output);
            Assert.StartsWith($"Backed up {store.DatabasePath} to {backup} (", Assert.Single(run.Stdout), StringComparison.Ordinal);
            Assert.Empty(run.Stderr);
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));
        }

        Assert.Equal("ok", await IntegrityAsync(backup));

        await using var restored = new SqliteTestStore();
        File.Copy(backup, restored.DatabasePath);
        await using var node = await RekeyHost.StartAsync(restored);
        using var restoredAdmin = node.CreateAdminClient();
        using var anyone = node.CreateClient();
        foreach (var client in quiet)
        {
            Assert.Equal(client.Secret, await restoredAdmin.CurrentSecretAsync(serviceId, client.ClientId));
            Assert.Equal(HttpStatusCode.OK, (await anyone.SendTokenRequestAsync(serviceId, client.ClientId, client.Secret)).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anyone.SendTokenRequestAsync(serviceId, client.ClientId, client.Secret + "x")).Status);
        }

        // The busy client's secret is one that was acknowledged before the copy was taken (or its first): a state the
        // store was in at one commit, and it verifies.
        var busySecret = await restoredAdmin.CurrentSecretAsync(serviceId, busy.ClientId);
        Assert.Contains(busySecret, acknowledged.Prepend(busy.Secret));
        Assert.Equal(HttpStatusCode.OK, (await anyone.SendTokenRequestAsync(serviceId, busy.ClientId, busySecret)).Status);
    }

    [Fact]
    public async Task a_backup_refuses_to_overwrite_a_file_and_exits_1_with_one_line()
    {
        await using var store = new SqliteTestStore();
        await using (await RekeyHost.StartAsync(store))
        {
        }

        var target = Path.Combine(_work.FullName, "taken.db");
        await File.WriteAllTextAsync(target, "keep me");

        using var run = await ProgramProcess.RunServerToExitAsync(_work.FullName, "backup", target, "--Rekey:DataDirectory=" + store.DataDirectory);

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Equal($"rekey: backup: {target} exists; it is not overwritten.", Assert.Single(run.Stderr));
        Assert.Equal("keep me", await File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task a_backup_of_a_postgresql_store_points_at_pg_dump()
    {
        using var run = await ProgramProcess.RunServerToExitAsync(_work.FullName, "backup", Path.Combine(_work.FullName, "x.db"), "--Rekey:Storage:Provider=postgres");

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Equal("rekey: backup copies a SQLite store; this one is postgres: use pg_dump (docs/deployment.md, Backups).", Assert.Single(run.Stderr));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work.FullName));
    }

    private static async Task<string?> IntegrityAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string?)await command.ExecuteScalarAsync();
    }
}
