using System.Diagnostics;
using Rekey.Cli;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>
/// The built tool as a shell user meets it: <c>rekey</c> on PATH, version, help, "did you mean", and the completion
/// scripts run by the real shell.
/// </summary>
public sealed class CliShellTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    [Fact]
    public async Task version_and_dash_dash_version_print_the_version_alone()
    {
        var expected = typeof(RekeyCli).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion.Split('+')[0];
        foreach (var args in new[] { new[] { "version" }, ["--version"] })
        {
            using var run = await RekeyOnPath.RunAsync(args);
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Equal([expected], run.Stdout);
            Assert.Empty(run.Stderr);
        }
    }

    [Fact]
    public async Task help_is_the_same_as_dash_dash_help()
    {
        using var help = await RekeyOnPath.RunAsync("help", "client", "create");
        using var dashDash = await RekeyOnPath.RunAsync("client", "create", "--help");

        Assert.Equal(0, help.ExitCode);
        Assert.Empty(help.Stderr);
        Assert.Equal(dashDash.Stdout, help.Stdout);
        Assert.Contains("  rekey client create [options]", help.Stdout);
    }

    [Fact]
    public async Task a_mistyped_command_gets_a_suggestion_on_stderr_and_exit_2()
    {
        using var run = await RekeyOnPath.RunAsync("client", "lsit");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Empty(run.Stdout);
        Assert.Equal(["error: usage unknown command 'lsit' for 'rekey client'.", "Did you mean 'list'?", "Run 'rekey client --help' for usage."], run.Stderr);
    }

    [Fact]
    public async Task an_argument_to_a_command_that_takes_none_is_named_as_such_not_as_an_unknown_command()
    {
        using var run = await RekeyOnPath.RunAsync("service", "delete", "1");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Empty(run.Stdout);
        Assert.Equal(["error: usage unexpected argument '1' for 'rekey service delete', which takes none.", "Run 'rekey service delete --help' for usage."], run.Stderr);
    }

    [Theory]
    [InlineData("rekey ser", "service")]
    [InlineData("rekey client ", "create|delete|get|list|lock|unlock|update")]
    [InlineData("rekey client list -o ", "json|table|yaml")]
    [InlineData("rekey registration token ", "create|list|revoke")]
    [InlineData("rekey completion ", "bash|fish|pwsh|zsh")]
    public async Task the_suggest_directive_answers_what_may_come_next(string line, string expected)
    {
        using var run = await RekeyOnPath.RunAsync($"[suggest:{line.Length}]", line);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(expected.Split('|'), run.Stdout.Where(l => !l.StartsWith('-')).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task the_bash_script_is_valid_and_completes_commands_in_bash()
    {
        using var script = await RekeyOnPath.RunAsync("completion", "bash");
        Assert.Equal(0, script.ExitCode);
        var file = Path.Combine(RekeyOnPath.Directory, "rekey.bash");
        await File.WriteAllTextAsync(file, string.Join('\n', script.Stdout) + "\n");

        var syntax = await RekeyOnPath.ShellAsync("bash", $"bash -n '{file}' && echo ok");
        Assert.Equal("ok", syntax);

        var completed = await RekeyOnPath.ShellAsync("bash",
            $"source '{file}'; COMP_LINE='rekey cl'; COMP_POINT=8; COMP_WORDS=(rekey cl); COMP_CWORD=1; _rekey_complete; echo \"${{COMPREPLY[*]}}\"");
        Assert.Equal("client", completed);
    }

    [Theory]
    [InlineData("zsh", "zsh -n")]
    [InlineData("fish", "fish --no-execute")]
    public async Task the_other_scripts_are_valid_where_their_shell_is_installed(string shell, string check)
    {
        if (!RekeyOnPath.Has(shell))
        {
            return;
        }

        using var script = await RekeyOnPath.RunAsync("completion", shell);
        var file = Path.Combine(RekeyOnPath.Directory, $"rekey.{shell}");
        await File.WriteAllTextAsync(file, string.Join('\n', script.Stdout) + "\n");
        Assert.Equal("ok", await RekeyOnPath.ShellAsync("bash", $"{check} '{file}' && echo ok"));
    }
}

/// <summary>A directory holding a <c>rekey</c> command that runs the built tool, for tests that go through a shell.</summary>
internal static class RekeyOnPath
{
    private static readonly Lazy<string> Made = new(() =>
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("rekey-bin-").FullName;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var path = Path.Combine(directory, "rekey");
        File.WriteAllText(path, $"#!/bin/sh\nexec '{dotnet}' '{Path.Combine(AppContext.BaseDirectory, ProgramProcess.Cli)}' \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return directory;
    });

    public static string Directory => Made.Value;

    /// <summary>The PATH with the <c>rekey</c> directory first.</summary>
    public static string SearchPath => $"{Directory}{System.IO.Path.PathSeparator}{Environment.GetEnvironmentVariable("PATH")}";

    public static Task<ProgramProcess> RunAsync(params string[] args) =>
        ProgramProcess.RunToExitAsync(ProgramProcess.Cli, Environment.CurrentDirectory, args, null, new Dictionary<string, string> { ["HOME"] = Directory });

    public static bool Has(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator).Any(d => File.Exists(System.IO.Path.Combine(d, program)));

    /// <summary>Runs a shell command with <c>rekey</c> on PATH; its standard output, trimmed.</summary>
    public static async Task<string> ShellAsync(string shell, string command, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(shell) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? Directory };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["PATH"] = SearchPath;
        start.Environment["HOME"] = Directory;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException(shell);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        var text = (await output).Trim();
        return process.ExitCode == 0 ? text : throw new InvalidOperationException($"{shell} exited {process.ExitCode}\n--- stdout\n{text}\n--- stderr\n{await error}");
    }
}
