namespace Rekey.Sdk.Tests.Cli;

/// <summary>
/// The walk-throughs of the tool: docs/cli.md's (its blocks marked <c>&lt;!-- walkthrough --&gt;</c>) and the README's
/// command-line section (<c>&lt;!-- walkthrough-cli --&gt;</c>; the README's other blocks are its curl walk-through), each run as written by
/// <see cref="MarkdownWalkthrough"/> with the built <c>rekey</c> on PATH against a real server, from a directory that
/// holds <c>data/admin-token</c> as the server's working directory does: every command succeeds and prints what the
/// page shows.
/// </summary>
[RequiresTools("bash", "jq")]
public sealed class CliDocsWalkthroughTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>, IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rekey-cli-docs-");

    public void Dispose() => _work.Delete(recursive: true);

    [Theory]
    [InlineData("docs/cli.md", "walkthrough")]
    [InlineData("README.md", "walkthrough-cli")]
    public async Task the_walkthrough_runs_in_order_against_a_fresh_server_and_prints_what_the_page_shows(string document, string marker)
    {
        var walkthrough = MarkdownWalkthrough.Load(Repository.File(document), marker);
        Assert.True(walkthrough.Checks.Count >= 5, $"{document}'s walk-through shows {walkthrough.Checks.Count} outputs; are its blocks still marked <!-- {marker} -->?");

        Directory.CreateDirectory(Path.Combine(_work.FullName, "data"));
        await File.WriteAllTextAsync(Path.Combine(_work.FullName, "data", "admin-token"), RekeyHost.AdminToken + "\n");

        var run = await walkthrough.RunAsync(_work.FullName,
            new Dictionary<string, string> { ["REKEY_URL"] = fixture.Host.BaseAddress.ToString().TrimEnd('/') },
            new Dictionary<string, string> { ["PATH"] = RekeyOnPath.SearchPath, ["HOME"] = _work.FullName });

        run.AssertAsDocumented();
    }
}
