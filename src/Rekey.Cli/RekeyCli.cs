using System.CommandLine;
using System.CommandLine.Help;

namespace Rekey.Cli;

/// <summary>
/// The <c>rekey</c> command line as a function: arguments, standard streams and environment in, exit code out.
/// <c>Program</c> calls it with the console; tests call it in-process.
/// </summary>
public static class RekeyCli
{
    /// <summary>The server address used when neither <c>--url</c> nor <c>REKEY_URL</c> is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The environment variables the tool reads.</summary>
    public static IReadOnlyList<string> EnvironmentVariables { get; } = [Session.UrlVariable, Session.TokenVariable, Session.ServiceVariable];

    /// <summary>Runs one command line.</summary>
    /// <param name="args">The arguments, as the shell split them.</param>
    /// <param name="stdin">Standard input (the new secret of <c>secret update</c>).</param>
    /// <param name="stdout">Standard output: results.</param>
    /// <param name="stderr">Standard error: errors and warnings.</param>
    /// <param name="env">Environment variables (<see cref="EnvironmentVariables"/>); missing keys count as unset.</param>
    /// <param name="cancellationToken">Interrupts the command (Ctrl+C); it then exits with <see cref="ExitCodes.Interrupted"/>.</param>
    /// <returns>The exit code; see <see cref="ExitCodes"/>.</returns>
    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, IDictionary<string, string?> env,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(env);

        using var session = new Session(stdin, stdout, stderr, env);
        var root = Commands.Build(session);

        // No response files: a client ID alias may start with '@'.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (var error in parse.Errors)
            {
                // The parser quotes unknown tokens as typed.
                Human.Line(stderr, $"error: usage {error.Message}");
            }

            var path = new List<string>();
            for (var command = parse.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
            {
                path.Insert(0, command.Command.Name);
            }

            Human.Line(stderr, $"Run '{string.Join(' ', path)} --help' for usage.");
            return ExitCodes.Usage;
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
}
