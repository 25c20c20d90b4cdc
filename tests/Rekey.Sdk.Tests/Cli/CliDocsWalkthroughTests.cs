using System.Text;
using System.Text.RegularExpressions;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>
/// docs/cli.md's walk-through, run as written with the built <c>rekey</c> on PATH against a real server: the
/// <c>```sh</c> blocks marked <c>&lt;!-- walkthrough --&gt;</c>, in order, in one <c>bash -euo pipefail</c>, from a
/// directory holding <c>data/admin-token</c> as the server's data directory does. What the document shows after
/// <c>#&gt;</c> (with <c>…</c> for anything) must appear in the output, in order. The markers and the <c>#&gt;</c>
/// lines follow Rekey.Testing's MarkdownWalkthrough (on branch helper/docs), which can replace this runner once merged.
/// </summary>
public sealed partial class CliDocsWalkthroughTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    [Fact]
    public async Task the_cli_walkthrough_runs_as_written()
    {
        var document = await File.ReadAllLinesAsync(Path.Combine(RepositoryRoot(), "docs", "cli.md"));
        var script = new StringBuilder();
        var expected = new List<string>();
        for (var i = 0; i < document.Length; i++)
        {
            if (document[i].Trim() != "<!-- walkthrough -->")
            {
                continue;
            }

            Assert.Equal("```sh", document[i + 1].Trim());
            for (i += 2; document[i].Trim() != "```"; i++)
            {
                var line = document[i];
                if (line.StartsWith("#> ", StringComparison.Ordinal))
                {
                    expected.Add(line[3..]);
                }

                // The document's server address is the default one; this server listens on a free port.
                script.AppendLine(ExportUrl().Replace(line, $"export REKEY_URL={Host.BaseAddress}"));
            }
        }

        Assert.NotEmpty(expected);
        var work = Directory.CreateTempSubdirectory("rekey-docs-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(work, "data"));
            await File.WriteAllTextAsync(Path.Combine(work, "data", "admin-token"), RekeyHost.AdminToken + "\n");
            await File.WriteAllTextAsync(Path.Combine(work, "walkthrough.sh"), script.ToString());

            var output = await RekeyOnPath.ShellAsync("bash", "bash -euo pipefail walkthrough.sh 2>&1",
                new Dictionary<string, string> { ["HOME"] = work }, work);

            var pattern = string.Join("[\\s\\S]*?", expected.Select(e => string.Join("[\\s\\S]*?", e.Split('…').Select(Regex.Escape))));
            Assert.True(Regex.IsMatch(output, pattern), $"documented output not found in order:\n{string.Join('\n', expected)}\n--- output\n{output}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Rekey.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("no Rekey.slnx above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("^export REKEY_URL=.*$")]
    private static partial Regex ExportUrl();
}
