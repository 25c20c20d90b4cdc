using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Rekey.Testing;

/// <summary>
/// Runs the shell walk-through of a Markdown document as a reader would: every <c>```sh</c> block that follows an HTML
/// comment <c>&lt;!-- walkthrough --&gt;</c> (on the line before the fence), in document order, pasted into one
/// <c>bash -euo pipefail</c>, and checks that each command prints what the document shows.
/// <list type="bullet">
/// <item>A comment line right under a command that starts with <c># {</c> or <c># [</c> is that command's documented
/// output (JSON, as the README writes it); <c>#&gt; text</c> documents any other output. Following lines that start
/// with <c>#  </c> (two spaces) continue it: they are joined without their leading <c>#</c> and white space. In the
/// documented text <c>…</c> stands for anything (also nothing); everything else must match the command's whole output
/// exactly, white space at both ends aside. A command checked this way is one line or continues with trailing
/// backslashes.</item>
/// <item>Output that no documented line covers fails the run: a command that prints must say what it prints.</item>
/// <item>A failing command stops the run (<c>-e</c>, <c>pipefail</c>) and fails it; so does an unset variable.</item>
/// <item><c>exports</c> replaces the value of a line <c>export NAME=…</c> of the document (for example <c>REKEY</c>, the
/// server's address, pointed at a server on a free port).</item>
/// </list>
/// Usage, with a server started in <c>work</c> (so that <c>data/admin-token</c> resolves as from the repository root):
/// <code>
/// var walkthrough = MarkdownWalkthrough.Load(Path.Combine(root, "docs", "cli.md"));
/// var run = await walkthrough.RunAsync(work, new Dictionary&lt;string, string&gt; { ["REKEY_URL"] = url });
/// run.AssertAsDocumented();
/// </code>
/// Variables of the test process that start with <c>REKEY</c> or <c>ASPNETCORE_</c> are not passed on; give what the
/// walk-through needs in <c>environment</c> (for example a <c>PATH</c> with the built <c>rekey</c> first).
/// </summary>
public sealed partial class MarkdownWalkthrough
{
    private const string Ellipsis = "…";

    private MarkdownWalkthrough(string path, IReadOnlyList<Line> lines, IReadOnlyList<Check> checks)
    {
        Path = path;
        Lines = lines;
        Checks = checks;
    }

    public string Path { get; }

    /// <summary>The shell lines of the marked blocks, each with its line number in the document.</summary>
    public IReadOnlyList<Line> Lines { get; }

    /// <summary>The commands whose output the document shows.</summary>
    public IReadOnlyList<Check> Checks { get; }

    public sealed record Line(int Number, string Text);

    /// <summary>The command on lines <paramref name="First"/>..<paramref name="Last"/> (indices into <see cref="Lines"/>) must print <paramref name="Expected"/>.</summary>
    public sealed record Check(int First, int Last, int DocumentLine, string Expected)
    {
        public bool Matches(string output) => Pattern(Expected).IsMatch(output.Trim());

        private static Regex Pattern(string expected) =>
            new("^" + string.Join("[\\s\\S]*?", expected.Trim().Split(Ellipsis).Select(Regex.Escape)) + "$", RegexOptions.None, TimeSpan.FromSeconds(5));
    }

    /// <summary>Reads the blocks of <paramref name="markdownPath"/> marked with <c>&lt;!-- <paramref name="marker"/> --&gt;</c>.</summary>
    public static MarkdownWalkthrough Load(string markdownPath, string marker = "walkthrough")
    {
        var document = File.ReadAllLines(markdownPath, Encoding.UTF8);
        var lines = new List<Line>();
        var markerLine = $"<!-- {marker} -->";
        for (var i = 0; i < document.Length; i++)
        {
            if (document[i].Trim() != markerLine)
            {
                continue;
            }

            if (i + 1 >= document.Length || document[i + 1].Trim() is not ("```sh" or "```bash"))
            {
                throw new InvalidOperationException($"{markdownPath}:{i + 1}: {markerLine} must stand right above a ```sh block.");
            }

            for (i += 2; i < document.Length && document[i].Trim() != "```"; i++)
            {
                lines.Add(new Line(i + 1, document[i]));
            }
        }

        return new MarkdownWalkthrough(markdownPath, lines, FindChecks(lines));
    }

    private static List<Check> FindChecks(List<Line> lines)
    {
        var checks = new List<Check>();
        for (var i = 1; i < lines.Count; i++)
        {
            if (OutputStart(lines[i].Text) is not { } expected || IsComment(lines[i - 1].Text) || lines[i - 1].Text.Trim().Length == 0)
            {
                continue;
            }

            var first = i - 1;
            while (first > 0 && lines[first - 1].Text.TrimEnd().EndsWith('\\'))
            {
                first--;
            }

            var text = new StringBuilder(expected);
            var documentLine = lines[i].Number;
            while (i + 1 < lines.Count && lines[i + 1].Text.StartsWith("#  ", StringComparison.Ordinal))
            {
                text.Append(lines[++i].Text[1..].TrimStart());
            }

            checks.Add(new Check(first, FirstOutputLine(lines, first) - 1, documentLine, text.ToString()));
        }

        return checks;
    }

    private static int FirstOutputLine(List<Line> lines, int commandStart)
    {
        var i = commandStart;
        while (lines[i].Text.TrimEnd().EndsWith('\\'))
        {
            i++;
        }

        return i + 1;
    }

    private static string? OutputStart(string line) =>
        line.StartsWith("# {", StringComparison.Ordinal) || line.StartsWith("# [", StringComparison.Ordinal) ? line[2..]
        : line.StartsWith("#> ", StringComparison.Ordinal) ? line[3..]
        : null;

    private static bool IsComment(string line) => line.TrimStart().StartsWith('#');

    private static string StepMarker(int index) => $"@@walkthrough-step-{index}@@";

    private const string EndMarker = "@@walkthrough-end@@";

    /// <summary>The bash script that is run: the document's lines, its exports replaced, each checked command fenced by markers.</summary>
    public string Script(IReadOnlyDictionary<string, string> exports)
    {
        var script = new StringBuilder();
        var starts = Checks.Select((c, n) => (c.First, n)).ToDictionary(x => x.First, x => x.n);
        var ends = Checks.ToDictionary(c => c.Last, c => c);
        for (var i = 0; i < Lines.Count; i++)
        {
            if (starts.TryGetValue(i, out var n))
            {
                script.Append(CultureInfo.InvariantCulture, $"printf '\\n%s\\n' '{StepMarker(n)}'\n");
            }

            script.Append(Export(Lines[i].Text, exports)).Append('\n');
            if (ends.ContainsKey(i))
            {
                script.Append(CultureInfo.InvariantCulture, $"printf '\\n%s\\n' '{EndMarker}'\n");
            }
        }

        return script.ToString();
    }

    private static string Export(string line, IReadOnlyDictionary<string, string> exports)
    {
        var match = ExportLine().Match(line);
        return match.Success && exports.TryGetValue(match.Groups[1].Value, out var value)
            ? $"export {match.Groups[1].Value}='{value.Replace("'", "'\\''", StringComparison.Ordinal)}'"
            : line;
    }

    [GeneratedRegex(@"^export ([A-Za-z_][A-Za-z0-9_]*)=\S*$")]
    private static partial Regex ExportLine();

    /// <summary>Runs the walk-through in <paramref name="workingDirectory"/>, at most <paramref name="timeout"/> (default 2 minutes).</summary>
    public async Task<WalkthroughRun> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> exports,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var script = Script(exports);
        var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rekey-walkthrough-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var start = new ProcessStartInfo("bash")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("REKEY", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                start.Environment.Remove(key);
            }

            foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            {
                start.Environment[key] = value;
            }

            foreach (var arg in (string[])["-euo", "pipefail", file])
            {
                start.ArgumentList.Add(arg);
            }

            using var bash = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
            bash.StandardInput.Close();
            using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
            var stdout = bash.StandardOutput.ReadToEndAsync(limit.Token);
            var stderr = bash.StandardError.ReadToEndAsync(limit.Token);
            try
            {
                await bash.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                bash.Kill(entireProcessTree: true);
                throw new TimeoutException($"The walk-through of {Path} did not finish in time.\n--- script\n{script}");
            }

            return new WalkthroughRun(this, script, bash.ExitCode, await stdout, await stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>What a run printed, and how it differs from the document.</summary>
    public sealed class WalkthroughRun(MarkdownWalkthrough walkthrough, string script, int exitCode, string stdout, string stderr)
    {
        public int ExitCode => exitCode;

        public string Stdout => stdout;

        public string Stderr => stderr;

        /// <summary>Every way the run differs from the document: a failed command, a different output, an undocumented one.</summary>
        public IReadOnlyList<string> Differences()
        {
            var differences = new List<string>();
            var outputs = new Dictionary<int, StringBuilder>();
            var outside = new StringBuilder();
            StringBuilder current = outside;
            var lastStep = -1;
            foreach (var line in stdout.Split('\n'))
            {
                if (line.StartsWith("@@walkthrough-step-", StringComparison.Ordinal))
                {
                    lastStep = int.Parse(line["@@walkthrough-step-".Length..^2], CultureInfo.InvariantCulture);
                    current = outputs[lastStep] = new StringBuilder();
                }
                else if (line == EndMarker)
                {
                    current = outside;
                }
                else if (current == outside && line.Trim().Length > 0)
                {
                    var after = lastStep < 0 ? "before the first checked command" : $"after the command of line {walkthrough.Lines[walkthrough.Checks[lastStep].First].Number}";
                    differences.Add($"{walkthrough.Path}: output that the document does not show ({after}): {line}");
                }
                else
                {
                    current.Append(line).Append('\n');
                }
            }

            // A step whose end marker never came was cut short by a failing command: bash's exit code reports it.
            var unfinished = current == outside ? -1 : lastStep;
            for (var n = 0; n < walkthrough.Checks.Count; n++)
            {
                var check = walkthrough.Checks[n];
                var command = walkthrough.Lines[check.First];
                if (!outputs.TryGetValue(n, out var output))
                {
                    if (exitCode == 0)
                    {
                        differences.Add($"{walkthrough.Path}:{command.Number}: the command did not run.");
                    }

                    continue;
                }

                if (n != unfinished && !check.Matches(output.ToString()))
                {
                    differences.Add($"{walkthrough.Path}:{command.Number}: {command.Text.Trim()}\n    documented (line {check.DocumentLine}): {check.Expected}\n    printed: {output.ToString().Trim()}");
                }
            }

            if (exitCode != 0)
            {
                differences.Add($"{walkthrough.Path}: bash exited with {exitCode} (a command failed or a variable was unset); standard error:\n{stderr}");
            }

            return differences;
        }

        /// <summary>Fails with every difference, the generated script and both streams.</summary>
        public void AssertAsDocumented()
        {
            var differences = Differences();
            if (differences.Count > 0)
            {
                throw new Xunit.Sdk.XunitException($"The walk-through of {walkthrough.Path} does not work as written:\n  " + string.Join("\n  ", differences)
                    + $"\n--- script\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
            }
        }
    }
}
