using Rekey.Cli;

// A terminal gets prompts (with no echo for secrets and tokens); a pipe or a file is read as it is.
var terminal = Console.IsInputRedirected ? null : new ConsoleTerminal();

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C cancels the request in flight (exit code 130); a second one, or one at a secret prompt,
    // ends the process at once.
    e.Cancel = !interrupted.IsCancellationRequested && terminal is not { Reading: true };
    interrupted.Cancel();
};

var env = new Dictionary<string, string?>(StringComparer.Ordinal);
foreach (var name in RekeyCli.EnvironmentVariables)
{
    env[name] = Environment.GetEnvironmentVariable(name);
}

return await RekeyCli.RunAsync(args, Console.In, Console.Out, Console.Error, env, terminal, interrupted.Token);
