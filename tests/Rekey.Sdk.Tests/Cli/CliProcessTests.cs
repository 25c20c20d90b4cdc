using System.Diagnostics;
using Rekey.Contracts;
using Rekey.Testing;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>The built tool as a separate process: the real <c>Main</c>, real standard streams, real environment.</summary>
public sealed class CliProcessTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    [Fact]
    public async Task the_built_tool_rotates_a_secret_read_from_its_standard_input()
    {
        var serviceId = await NewServiceAsync();
        await NewClientAsync(serviceId, "--alias", "process");

        var (exitCode, stdout, stderr) = await RunProcessAsync(serviceId, "piped_Secret\n", "--json", "secret", "update", "process");

        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        var response = System.Text.Json.JsonSerializer.Deserialize(stdout, RekeyJsonContext.Default.ClientSecretResponse);
        Assert.Equal("A149001", response?.ResultCode);
        Assert.Equal("piped_Secret", response?.NewClientSecret);

        var (missing, _, error) = await RunProcessAsync(serviceId, null, "client", "get", "nobody");
        Assert.Equal(1, missing);
        Assert.StartsWith("error: A000211 ", error, StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Out, string Err)> RunProcessAsync(long serviceId, string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Rekey.Cli.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["REKEY_URL"] = Host.BaseAddress.ToString();
        start.Environment["REKEY_TOKEN"] = RekeyHost.AdminToken;
        start.Environment["REKEY_SERVICE"] = $"{serviceId}";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the tool");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
