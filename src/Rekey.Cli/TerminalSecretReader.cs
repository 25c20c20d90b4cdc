using System.Text;

namespace Rekey.Cli;

/// <summary>
/// Standard input when it is a terminal: <c>secret update</c> asks for the secret on standard error and reads it
/// without echoing it, so that it is not left on the screen or in a terminal recording. When standard input is
/// redirected (a pipe, a file) <c>Program</c> passes <see cref="Console.In"/> instead.
/// </summary>
internal sealed class TerminalSecretReader : TextReader
{
    /// <summary>True while a line is being read (Ctrl+C then ends the process at once: a key read cannot be cancelled).</summary>
    public bool Reading { get; private set; }

    public override string? ReadLine()
    {
        Reading = true;
        try
        {
            Console.Error.Write("New client secret (not shown): ");
            var line = new StringBuilder();
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                {
                    break;
                }

                if (key.Key == ConsoleKey.Backspace)
                {
                    if (line.Length > 0)
                    {
                        line.Length--;
                    }
                }
                else if (key.Key == ConsoleKey.D && key.Modifiers.HasFlag(ConsoleModifiers.Control) && line.Length == 0)
                {
                    Console.Error.WriteLine();
                    return null;
                }
                else if (key.KeyChar != '\0')
                {
                    line.Append(key.KeyChar);
                }
            }

            Console.Error.WriteLine();
            return line.ToString();
        }
        finally
        {
            Reading = false;
        }
    }

    public override ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(ReadLine());

    public override Task<string?> ReadLineAsync() => Task.FromResult(ReadLine());
}
