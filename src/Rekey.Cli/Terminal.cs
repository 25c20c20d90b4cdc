using System.Text;

namespace Rekey.Cli;

/// <summary>
/// The user's terminal, when standard input is one: where <c>rekey</c> asks questions (a new secret, a token, a
/// confirmation). When standard input is a pipe or a file there is no terminal and <c>rekey</c> never asks.
/// </summary>
public interface ITerminal
{
    /// <summary>Writes <paramref name="prompt"/> and reads one line, echoed; <see langword="null"/> at end of input.</summary>
    string? ReadLine(string prompt);

    /// <summary>Writes <paramref name="prompt"/> and reads one line without echoing it; <see langword="null"/> at end of input.</summary>
    string? ReadSecret(string prompt);
}

/// <summary>The console as an <see cref="ITerminal"/>: prompts on standard error, answers from the keyboard.</summary>
internal sealed class ConsoleTerminal : ITerminal
{
    /// <summary>True while a secret is being read (Ctrl+C then ends the process at once: a key read cannot be cancelled).</summary>
    public bool Reading { get; private set; }

    public string? ReadLine(string prompt)
    {
        Console.Error.Write(prompt);
        return Console.In.ReadLine();
    }

    public string? ReadSecret(string prompt)
    {
        Reading = true;
        try
        {
            Console.Error.Write(prompt);
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
}
