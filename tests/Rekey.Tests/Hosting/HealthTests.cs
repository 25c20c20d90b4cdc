using System.Net;
using System.Text.Json.Nodes;

namespace Rekey.Tests.Hosting;

/// <summary>/health/live and /health/ready as a probe sees them, and the version in the first log line.</summary>
public sealed class HealthTests
{
    private static readonly int Schema = Rekey.Server.Storage.Migrations.Latest("sqlite");

    [Fact]
    public async Task live_and_ready_answer_200_ok_to_anyone_and_only_the_organisation_token_sees_the_versions()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store);
        using var anonymous = host.CreateClient();
        using var admin = host.CreateAdminClient();
        using var wrong = host.CreateClient("not-the-admin-token-0123456789");
        var serviceToken = await admin.CreateApiTokenAsync(await admin.CreateServiceAsync(), "service.read");
        using var service = host.CreateClient(serviceToken.Token);

        foreach (var caller in (HttpClient[])[anonymous, wrong, service])
        {
            await AssertAnswerAsync(caller, "/health/live", HttpStatusCode.OK, """{"status":"ok"}""");
            await AssertAnswerAsync(caller, "/health/ready", HttpStatusCode.OK, """{"status":"ok"}""");
        }

        await AssertAnswerAsync(admin, "/health/live", HttpStatusCode.OK, """{"status":"ok"}""");
        var version = (await RekeyVersionAsync()).Replace("Rekey.Server ", "", StringComparison.Ordinal);
        await AssertAnswerAsync(admin, "/health/ready", HttpStatusCode.OK, $$"""{"status":"ok","version":"{{version}}","schemaVersion":{{Schema}}}""");
    }

    [Fact]
    public async Task healthz_still_answers_as_before()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store);
        using var anonymous = host.CreateClient();

        using var response = await anonymous.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task both_probes_are_in_the_openapi_document_and_healthz_is_not()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store);
        using var anonymous = host.CreateClient();

        var paths = (JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))?["paths"] as JsonObject ?? []).Select(p => p.Key).ToList();

        Assert.Contains("/health/live", paths);
        Assert.Contains("/health/ready", paths);
        Assert.DoesNotContain("/healthz", paths);
    }

    [Fact]
    public async Task the_first_log_line_names_the_version_and_the_schema_version()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store);

        var first = host.Logs.Lines.First();

        Assert.Contains("[60] " + await RekeyVersionAsync() + $" starting (schema version {Schema}).", first, StringComparison.Ordinal);
        Assert.Contains(host.Logs.Lines, l => l.Contains($"Store ready: sqlite, schema version {Schema}.", StringComparison.Ordinal));
    }

    private static async Task AssertAnswerAsync(HttpClient caller, string path, HttpStatusCode status, string body)
    {
        using var response = await caller.GetAsync(path);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.True(response.Headers.CacheControl?.NoStore, path + " must not be cached");
    }

    /// <summary>"Rekey.Server 1.2.3+…", as <c>--version</c> prints it: the same version the server reports.</summary>
    private static async Task<string> RekeyVersionAsync()
    {
        using var version = await ProgramProcess.RunServerToExitAsync(Path.GetTempPath(), "--version");
        return Assert.Single(version.Stdout);
    }
}
