using Rekey.Cli;

// A terminal gets a prompt and no echo for the secret; a pipe or a file is read as it is.
TextReader stdin = Console.IsInputRedirected ? Console.In : new TerminalSecretReader();

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C cancels the request in flight (exit code 130); a second one, or one at the secret prompt,
    // ends the process at once.
    e.Cancel = !interrupted.IsCancellationRequested && stdin is not TerminalSecretReader { Reading: true };
    interrupted.Cancel();
};

var env = new Dictionary<string, string?>(StringComparer.Ordinal);
foreach (var name in RekeyCli.EnvironmentVariables)
{
    env[name] = Environment.GetEnvironmentVariable(name);
}

return await RekeyCli.RunAsync(args, stdin, Console.Out, Console.Error, env, interrupted.Token);
