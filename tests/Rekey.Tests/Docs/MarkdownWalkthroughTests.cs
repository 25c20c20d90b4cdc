namespace Rekey.Tests.Docs;

/// <summary>The walk-through runner fails where a reader would stumble: a failing command, a different or undocumented output.</summary>
[RequiresTools("bash")]
public sealed class MarkdownWalkthroughTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rekey-walkthrough-");

    public void Dispose() => _work.Delete(recursive: true);

    private Task<MarkdownWalkthrough.WalkthroughRun> RunAsync(string block, IReadOnlyDictionary<string, string>? exports = null)
    {
        var path = Path.Combine(_work.FullName, "doc.md");
        File.WriteAllText(path, $"# Doc\n\nNot run:\n\n```sh\nexit 3\n```\n\n<!-- walkthrough -->\n```sh\n{block}\n```\n");
        return MarkdownWalkthrough.Load(path).RunAsync(_work.FullName, exports ?? new Dictionary<string, string>());
    }

    [Fact]
    public async Task documented_output_matches_with_ellipses_continuation_lines_and_replaced_exports()
    {
        var run = await RunAsync("""
            export WHERE=http://example.invalid
            echo "{\"resultCode\":\"A149001\",\"where\":\"$WHERE\",\"n\":12}"
            # {"resultCode":"A149001",
            #  "where":"http://127.0.0.1:1","n":…}
            printf 'plain text\n'
            #> plain …
            value=$(echo quiet)
            """, new Dictionary<string, string> { ["WHERE"] = "http://127.0.0.1:1" });

        Assert.Empty(run.Differences());
    }

    [Fact]
    public async Task a_different_result_code_is_reported_with_the_line_of_the_command()
    {
        var run = await RunAsync("""
            echo '{"resultCode":"A149205","resultMessage":"[A149205] no"}'
            # {"resultCode":"A149001",…}
            """);

        var difference = Assert.Single(run.Differences());
        Assert.Contains("doc.md:11: echo", difference, StringComparison.Ordinal);
        Assert.Contains("A149205", difference, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_failing_command_or_an_unset_variable_fails_the_run()
    {
        var failing = await RunAsync("""
            curl_that_does_not_exist -s http://127.0.0.1:1
            echo never
            #> never
            """);
        var unset = await RunAsync("echo \"$NOT_SET_ANYWHERE\"");

        Assert.NotEqual(0, failing.ExitCode);
        Assert.Contains(failing.Differences(), d => d.Contains("bash exited with", StringComparison.Ordinal));
        Assert.NotEqual(0, unset.ExitCode);
        Assert.Contains(unset.Differences(), d => d.Contains("bash exited with", StringComparison.Ordinal));
    }

    [Fact]
    public async Task output_the_document_does_not_show_fails_the_run()
    {
        var run = await RunAsync("""
            echo '{"resultCode":"A149205"}'
            """);

        Assert.Contains("output that the document does not show", Assert.Single(run.Differences()), StringComparison.Ordinal);
    }
}
