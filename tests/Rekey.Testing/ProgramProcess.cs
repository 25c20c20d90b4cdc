using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Rekey.Testing;

/// <summary>
/// A program built beside the tests (<see cref="Server"/>, <see cref="Cli"/>) as an operator runs it: its own
/// process, working directory, arguments, environment, standard streams and exit code. Nothing of the test
/// process's <c>Rekey__</c>, <c>ASPNETCORE_</c> or <c>STATE_DIRECTORY</c> environment leaks into it. Disposing it kills what still runs.
/// </summary>
public sealed partial class ProgramProcess : IDisposable
{
    public const string Server = "Rekey.Server.dll";

    public const string Cli = "Rekey.Cli.dll";

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProgramProcess(string program, string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Rekey__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
            || k == "STATE_DIRECTORY").ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
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

    /// <summary>
    /// Runs <paramref name="program"/> until it exits by itself, at most 60 seconds, with <paramref name="stdin"/> (if
    /// any) on its standard input, which is then closed.
    /// </summary>
    public static async Task<ProgramProcess> RunToExitAsync(string program, string workingDirectory, IEnumerable<string> args, string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var run = new ProgramProcess(program, workingDirectory, args, environment);
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            if (stdin is not null)
            {
                await run._process.StandardInput.WriteAsync(stdin.AsMemory(), timeout.Token);
            }

            run._process.StandardInput.Close();
            await run._process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            run.Dispose();
            throw new TimeoutException($"{program} did not exit within {Limit.TotalSeconds} s.\n{run.Output}");
        }

        return run;
    }

    /// <summary>Runs the server until it exits by itself (a refused start, --help), at most 60 seconds.</summary>
    public static Task<ProgramProcess> RunServerToExitAsync(string workingDirectory, params string[] args) =>
        RunToExitAsync(Server, workingDirectory, args);

    /// <summary>Starts the server on a port of its own choosing and waits until it says where it listens.</summary>
    public static Task<(ProgramProcess Server, Uri BaseAddress)> StartServerAsync(string workingDirectory, params string[] args) =>
        StartServerAsync(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>Starts the server with these environment variables on a port of its own choosing and waits until it says where it listens.</summary>
    public static async Task<(ProgramProcess Server, Uri BaseAddress)> StartServerAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment,
        params string[] args)
    {
        var server = new ProgramProcess(Server, workingDirectory, [.. args, "--urls=http://127.0.0.1:0"], environment);
        try
        {
            server._process.StandardInput.Close();
            return (server, await server._listening.Task.WaitAsync(Limit));
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts the server on <paramref name="store"/> as <see cref="RekeyHost"/> starts one (its admin token and master
    /// key), with <paramref name="settings"/> (<c>Rekey:…</c> keys) on top, given as environment variables.
    /// </summary>
    public static Task<(ProgramProcess Server, Uri BaseAddress)> StartServerAsync(string workingDirectory, TestStore store,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>(store.Settings)
        {
            ["Rekey:AdminToken"] = RekeyHost.AdminToken,
            ["Rekey:MasterKeys:0"] = RekeyHost.MasterKey,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return StartServerAsync(workingDirectory, all.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!));
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

    [GeneratedRegex(@"Now listening on: (https?://[^\s""]+)")]
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
