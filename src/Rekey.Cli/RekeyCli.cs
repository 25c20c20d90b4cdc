using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Rekey.Cli;

/// <summary>
/// The <c>rekey</c> command line as a function: arguments, standard streams, environment and terminal in, exit code
/// out. <c>Program</c> calls it with the console; tests call it in-process.
/// </summary>
public static class RekeyCli
{
    /// <summary>The server address used when neither <c>--url</c>, <c>REKEY_URL</c> nor a profile gives one.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The environment variables the tool reads.</summary>
    public static IReadOnlyList<string> EnvironmentVariables { get; } =
    [
        Session.UrlVariable, Session.TokenVariable, Session.ServiceVariable, ConfigFile.PathVariable, ConfigFile.ProfileVariable,
        "XDG_CONFIG_HOME", "HOME", "APPDATA",
    ];

    /// <summary>Runs one command line without a terminal: nothing is asked, destructive commands need <c>--yes</c>.</summary>
    public static Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, IDictionary<string, string?> env,
        CancellationToken cancellationToken = default) =>
        RunAsync(args, stdin, stdout, stderr, env, null, cancellationToken);

    /// <summary>Runs one command line.</summary>
    /// <param name="args">The arguments, as the shell split them.</param>
    /// <param name="stdin">Standard input (the new secret of <c>secret update</c>, the token of <c>login</c>) when it is not a terminal.</param>
    /// <param name="stdout">Standard output: results.</param>
    /// <param name="stderr">Standard error: errors, warnings and notes.</param>
    /// <param name="env">Environment variables (<see cref="EnvironmentVariables"/>); missing keys count as unset.</param>
    /// <param name="terminal">The terminal standard input is, or <see langword="null"/> when it is a pipe or a file.</param>
    /// <param name="cancellationToken">Interrupts the command (Ctrl+C); it then exits with <see cref="ExitCodes.Interrupted"/>.</param>
    /// <returns>The exit code; see <see cref="ExitCodes"/>.</returns>
    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, IDictionary<string, string?> env,
        ITerminal? terminal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(env);

        using var session = new Session(stdin, stdout, stderr, env, terminal);
        var root = Commands.Build(session);

        // No response files: a client ID alias may start with '@'.
        var configuration = new ParserConfiguration { ResponseFileTokenReplacer = null };
        if (args is [var first, ..] && first.StartsWith("[suggest", StringComparison.Ordinal))
        {
            return Suggest(root, configuration, args, stdout);
        }

        var parse = root.Parse(args, configuration);
        if (parse.Action is ParseErrorAction)
        {
            return ReportParseErrors(session, parse);
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Human.Line(stderr, "error: interrupted; the request may or may not have been processed.");
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>
    /// <c>rekey "[suggest:N]" "rekey cli"</c>: the completions at position N of the command line, one per line, as
    /// System.CommandLine's <c>SuggestDirective</c> answers them (directives are read only under a
    /// <see cref="RootCommand"/>, whose name would be the assembly's; see <see cref="Commands.Build"/>).
    /// </summary>
    private static int Suggest(Command root, ParserConfiguration configuration, string[] args, TextWriter stdout)
    {
        var line = args.Length > 1 ? args[^1] : "";
        var directive = args[0];
        var position = directive.StartsWith("[suggest:", StringComparison.Ordinal) && directive.EndsWith(']')
            && int.TryParse(directive["[suggest:".Length..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var at)
                ? Math.Min(at, line.Length)
                : line.Length;
        foreach (var item in root.Parse(line, configuration).GetCompletions(position))
        {
            stdout.WriteLine(TerminalText.Escape(item.Label));
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Parse errors in the tool's own form (<c>error: usage …</c>, exit code 2, JSON with <c>--json</c>), with a
    /// "did you mean" for a mistyped command or option, and where to find the usage. Help, version and the
    /// <c>[suggest]</c> directive clear parse errors, so they never come here.
    /// </summary>
    private static int ReportParseErrors(Session session, ParseResult parse)
    {
        var format = session.Format(parse);
        var command = parse.CommandResult.Command;

        // A mistyped command makes every word after it unmatched and its parent "missing a command": name the first
        // unknown word alone, as gh does, with the closest commands or options.
        if (parse.UnmatchedTokens is [var unknown, ..])
        {
            var isOption = unknown.StartsWith('-');
            // A word where no command is expected is an argument too many (rekey service delete 1: the service is --service).
            session.Usage(format, isOption ? $"unknown option '{unknown}' for '{PathOf(parse)}'."
                : command.Subcommands.Any(c => !c.Hidden) ? $"unknown command '{unknown}' for '{PathOf(parse)}'."
                : $"unexpected argument '{unknown}' for '{PathOf(parse)}'{(command.Arguments.Count == 0 ? ", which takes none" : "")}.");
            var candidates = isOption
                ? command.Options.Concat(AncestorOptions(parse)).Where(o => !o.Hidden).Select(o => o.Name)
                : command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
            if (format != OutputFormat.Json && Closest(unknown, candidates) is { Count: > 0 } close)
            {
                Human.Line(session.Error, $"Did you mean {string.Join(" or ", close.Select(c => $"'{c}'"))}?");
            }
        }
        else
        {
            foreach (var error in parse.Errors)
            {
                session.Usage(format, error.Message);
            }
        }

        if (format == OutputFormat.Json)
        {
            return ExitCodes.Usage;
        }

        Human.Line(session.Error, $"Run '{PathOf(parse)} --help' for usage.");
        return ExitCodes.Usage;
    }

    private static string PathOf(ParseResult parse)
    {
        var path = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            path.Insert(0, result.Command.Name);
        }

        return string.Join(' ', path);
    }

    private static IEnumerable<Option> AncestorOptions(ParseResult parse)
    {
        for (var result = parse.CommandResult.Parent as CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            foreach (var option in result.Command.Options.Where(o => o.Recursive))
            {
                yield return option;
            }
        }
    }

    /// <summary>The names at the smallest edit distance from <paramref name="typed"/>, if it is at most 3 (and less than the word).</summary>
    private static List<string> Closest(string typed, IEnumerable<string> names)
    {
        var scored = names.Select(n => (Name: n, Distance: Distance(typed, n))).Where(s => s.Distance <= Math.Min(3, Math.Max(1, typed.Length / 2))).ToList();
        return scored.Count == 0 ? [] : [.. scored.Where(s => s.Distance == scored.Min(x => x.Distance)).Select(s => s.Name)];
    }

    /// <summary>Levenshtein distance.</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
