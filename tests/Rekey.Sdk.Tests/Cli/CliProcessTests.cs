using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>The built tool as a separate process: the real <c>Main</c>, real standard streams, real environment.</summary>
public sealed class CliProcessTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    [Fact]
    public async Task the_built_tool_rotates_a_secret_read_from_its_standard_input()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"process"}""");

        using var update = await RunProcessAsync(serviceId, "piped_Secret\n", "--json", "secret", "update", "process");

        Assert.True(update.ExitCode == 0, $"exit {update.ExitCode}\n{update.Output}");
        var response = System.Text.Json.JsonSerializer.Deserialize(string.Join('\n', update.Stdout), RekeyJsonContext.Default.ClientSecretResponse);
        Assert.Equal("A149001", response?.ResultCode);
        Assert.Equal("piped_Secret", response?.NewClientSecret);

        using var missing = await RunProcessAsync(serviceId, null, "client", "get", "nobody");
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("error: A000211 ", string.Join('\n', missing.Stderr), StringComparison.Ordinal);
    }

    private Task<ProgramProcess> RunProcessAsync(long serviceId, string? stdin, params string[] args) =>
        ProgramProcess.RunToExitAsync(ProgramProcess.Cli, Environment.CurrentDirectory, args, stdin, new Dictionary<string, string>
        {
            ["REKEY_URL"] = Host.BaseAddress.ToString(),
            ["REKEY_TOKEN"] = RekeyHost.AdminToken,
            ["REKEY_SERVICE"] = $"{serviceId}",
        });
}
