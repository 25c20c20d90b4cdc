namespace Rekey.Tests.Docs;

/// <summary>
/// The README's curl walk-through (its blocks marked <c>&lt;!-- walkthrough --&gt;</c>), pasted into one bash shell in the
/// working directory of a freshly started server, as a newcomer does from the repository root: every command succeeds and
/// prints what the README shows.
/// </summary>
[RequiresTools("bash", "curl", "jq")]
public sealed class ReadmeWalkthroughTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rekey-readme-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task the_readme_walkthrough_runs_in_order_against_a_fresh_server_and_prints_what_the_readme_shows()
    {
        var walkthrough = MarkdownWalkthrough.Load(Repository.File("README.md"));
        Assert.True(walkthrough.Checks.Count >= 10, $"The README's walk-through shows {walkthrough.Checks.Count} outputs; are its blocks still marked?");

        // The README's command without a data directory or token: data/ and data/admin-token appear under the working directory.
        var (server, baseAddress) = await ProgramProcess.StartServerAsync(_work.FullName);
        using (server)
        {
            var run = await walkthrough.RunAsync(_work.FullName, new Dictionary<string, string> { ["REKEY"] = baseAddress.ToString().TrimEnd('/') });

            run.AssertAsDocumented();
        }
    }
}
