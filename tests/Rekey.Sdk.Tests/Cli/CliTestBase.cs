using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Rekey.Cli;
using Rekey.Contracts;
using Rekey.Testing;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>What one run of the tool left behind.</summary>
public sealed record CliRun(int ExitCode, string Out, string Err)
{
    /// <summary>The value of a <c>key: value</c> line of the human output.</summary>
    public string? Field(string key) => Out.Split('\n')
        .Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
        .Select(l => l[(key.Length + 1)..].Trim())
        .FirstOrDefault();

    /// <summary>Standard output read as the server's JSON shape.</summary>
    public T Json<T>(JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(Out, type) ?? throw new InvalidOperationException("null JSON: " + Out);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Err}";
}

/// <summary>Runs <c>rekey</c> in-process through <see cref="RekeyCli.RunAsync"/>, as a user would, against the class's real server.</summary>
public abstract class CliTestBase(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    protected RekeyHost Host => fixture.Host;

    /// <summary>The environment of an operator who exported the server address and the admin token.</summary>
    protected Dictionary<string, string?> Env(long? serviceId = null) => new()
    {
        ["REKEY_URL"] = Host.BaseAddress.ToString(),
        ["REKEY_TOKEN"] = RekeyHost.AdminToken,
        ["REKEY_SERVICE"] = serviceId?.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    protected Task<CliRun> RekeyAsync(params string[] args) => RunAsync(Env(), null, args);

    protected static async Task<CliRun> RunAsync(IDictionary<string, string?> env, string? stdin, params string[] args)
    {
        using var input = new StringReader(stdin ?? "");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await RekeyCli.RunAsync(args, input, output, error, env);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    protected async Task<long> NewServiceAsync(string name = "cli test service")
    {
        var run = await RekeyAsync("--json", "service", "create", "--name", name);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Json(RekeyJsonContext.Default.ServiceDocument).ApiKey ?? throw new InvalidOperationException("no apiKey");
    }

    protected async Task<ClientDocument> NewClientAsync(long serviceId, params string[] options)
    {
        var run = await RekeyAsync(["--json", "--service", $"{serviceId}", "client", "create", "--name", "cli test client", .. options]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Json(RekeyJsonContext.Default.ClientDocument);
    }
}
