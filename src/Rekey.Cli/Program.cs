using Rekey.Cli;

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C cancels the request in flight and exits 130; a second one kills the process.
    e.Cancel = !interrupted.IsCancellationRequested;
    interrupted.Cancel();
};

var env = new Dictionary<string, string?>(StringComparer.Ordinal);
foreach (var name in RekeyCli.EnvironmentVariables)
{
    env[name] = Environment.GetEnvironmentVariable(name);
}

return await RekeyCli.RunAsync(args, Console.In, Console.Out, Console.Error, env, interrupted.Token);
