using System.Diagnostics;

namespace Rekey.Tests.Hosting;

/// <summary>
/// <c>deploy/rekey.service</c> is a unit systemd accepts as written: <c>systemd-analyze verify</c> reports nothing
/// about it. The binary it starts is not installed here, so the copy checked points <c>ExecStart</c> at an executable
/// file in a temporary directory; every other line is the shipped one.
/// </summary>
[RequiresTools("systemd-analyze", Optional = true)]
public sealed class SystemdUnitTests : IDisposable
{
    private const string InstalledBinary = "/opt/rekey/Rekey.Server";

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rekey-systemd-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task the_shipped_unit_passes_systemd_analyze_verify_without_a_message()
    {
        var (exitCode, output) = await VerifyAsync(Shipped());

        Assert.True(exitCode == 0 && output.Length == 0, $"systemd-analyze verify exited with {exitCode}:\n{output}");
    }

    [Fact]
    public void the_shipped_unit_keeps_its_hardening_and_its_state_directory()
    {
        var lines = Shipped().Split('\n').Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);

        Assert.All(
            [
                "DynamicUser=yes", "StateDirectory=rekey", "StateDirectoryMode=0700", "ProtectSystem=strict", "ProtectHome=yes",
                "PrivateTmp=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes",
            ],
            line => Assert.Contains(line, lines));
    }

    [Fact]
    public async Task a_misspelt_directive_is_reported_so_the_check_can_fail()
    {
        var (_, output) = await VerifyAsync(Shipped().Replace("ProtectSystem=strict", "ProtectSystem=strickt", StringComparison.Ordinal));

        Assert.Contains("strickt", output, StringComparison.Ordinal);
    }

    private string Shipped()
    {
        var unit = File.ReadAllText(Repository.File("deploy/rekey.service"));
        Assert.Contains("ExecStart=" + InstalledBinary + " ", unit, StringComparison.Ordinal);
        var binary = Path.Combine(_work.FullName, "Rekey.Server");
        File.WriteAllText(binary, "#!/bin/sh\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return unit.Replace("ExecStart=" + InstalledBinary, "ExecStart=" + binary, StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Output)> VerifyAsync(string unit)
    {
        var path = Path.Combine(_work.FullName, "rekey.service");
        await File.WriteAllTextAsync(path, unit);
        var start = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("verify");
        start.ArgumentList.Add(path);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("systemd-analyze did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, ((await stdout) + (await stderr)).Trim());
    }
}
