using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Rekey.Tests.Hosting;

/// <summary>
/// The built server (<c>Rekey.Server.dll</c> beside the tests) as an operator runs it: its own process, working
/// directory, arguments, exit code and standard streams. Nothing of the test process's <c>Rekey__</c> or
/// <c>ASPNETCORE_</c> environment leaks into it.
/// </summary>
internal sealed partial class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(string workingDirectory, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Rekey__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Rekey.Server.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => OnLine(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(_stderr, e.Data);
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException("The server exited before it listened.\n" + Output));
        _process.EnableRaisingEvents = true;
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Stdout => [.. _stdout];

    public IReadOnlyList<string> Stderr => [.. _stderr];

    /// <summary>Both streams, for assertion messages.</summary>
    public string Output => $"--- stdout\n{string.Join('\n', _stdout)}\n--- stderr\n{string.Join('\n', _stderr)}";

    public int ExitCode => _process.ExitCode;

    /// <summary>Runs the server until it exits by itself (a refused start, --help), at most 60 seconds.</summary>
    public static async Task<ServerProcess> RunToExitAsync(string workingDirectory, params string[] args)
    {
        var server = new ServerProcess(workingDirectory, args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await server._process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            server.Dispose();
            throw new TimeoutException("The server did not exit within 60 s.\n" + server.Output);
        }

        return server;
    }

    /// <summary>Starts the server on a port of its own choosing and waits until it says where it listens.</summary>
    public static async Task<(ServerProcess Server, Uri BaseAddress)> StartAsync(string workingDirectory, params string[] args)
    {
        var server = new ServerProcess(workingDirectory, [.. args, "--urls=http://127.0.0.1:0"]);
        try
        {
            return (server, await server._listening.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private void OnLine(ConcurrentQueue<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lines.Enqueue(line);
        if (ListeningLine().Match(line) is { Success: true } listening)
        {
            _listening.TrySetResult(new Uri(listening.Groups[1].Value));
        }
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
