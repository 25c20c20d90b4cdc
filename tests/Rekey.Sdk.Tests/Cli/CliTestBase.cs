using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Rekey.Cli;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>What one run of the tool left behind.</summary>
public sealed record CliRun(int ExitCode, string Out, string Err)
{
    /// <summary>The value of a <c>key: value</c> line of the human output.</summary>
    public string? Field(string key) => Out.Split('\n')
        .Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
        .Select(l => l[(key.Length + 1)..].Trim())
        .FirstOrDefault();

    /// <summary>
    /// The rows of the human table whose header starts with <paramref name="headers"/>[0], as cells by header (cells
    /// are cut at the header's column offsets, so empty cells stay in place). The summary line under a list
    /// (<c>3 of 12 …</c>, <c>2 secrets of client …</c>) is not a row.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> Table(params string[] headers)
    {
        var lines = Out.Split('\n');
        var at = Array.FindIndex(lines, l => l.StartsWith(headers[0] + "  ", StringComparison.Ordinal));
        if (at < 0)
        {
            throw new InvalidOperationException($"no table headed {headers[0]}: {this}");
        }

        var offsets = new int[headers.Length];
        for (var i = 0; i < headers.Length; i++)
        {
            offsets[i] = lines[at].IndexOf(headers[i], i == 0 ? 0 : offsets[i - 1] + 1, StringComparison.Ordinal);
            Assert.True(offsets[i] >= 0, $"no column {headers[i]}: {lines[at]}");
        }

        return lines.Skip(at + 1)
            .TakeWhile(l => l.Length > 0)
            .Where(l => !System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d+ (of \d+ |secrets of client )"))
            .Select(l => (IReadOnlyDictionary<string, string>)headers.Select((h, i) => (h, Cell(l, offsets[i], i + 1 < offsets.Length ? offsets[i + 1] : l.Length)))
                .ToDictionary(c => c.h, c => c.Item2))
            .ToList();
    }

    private static string Cell(string line, int from, int to) => from >= line.Length ? "" : line[from..Math.Min(to, line.Length)].Trim();

    /// <summary>Standard output read as the server's JSON shape.</summary>
    public T Json<T>(JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(Out, type) ?? throw new InvalidOperationException("null JSON: " + Out);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Err}";
}

/// <summary>A terminal whose user types the given answers, in order; it records the prompts it was shown.</summary>
public sealed class ScriptedTerminal(params string?[] answers) : ITerminal
{
    private readonly Queue<string?> _answers = new(answers);

    public List<string> Prompts { get; } = [];

    public string? ReadLine(string prompt) => Answer(prompt);

    public string? ReadSecret(string prompt) => Answer(prompt);

    private string? Answer(string prompt)
    {
        Prompts.Add(prompt);
        return _answers.Count > 0 ? _answers.Dequeue() : null;
    }
}

/// <summary>Runs <c>rekey</c> in-process through <see cref="RekeyCli.RunAsync"/>, as a user would, against the class's real server.</summary>
public abstract class CliTestBase(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>, IDisposable
{
    private HttpClient? _admin;

    protected RekeyHost Host => fixture.Host;

    /// <summary>The admin over plain HTTP, for what a test needs before it runs the tool (<see cref="TestApi"/>): setup does not go through the code under test.</summary>
    protected HttpClient Admin => _admin ??= Host.CreateAdminClient();

    /// <summary>The environment of an operator who exported the server address and the admin token.</summary>
    protected Dictionary<string, string?> Env(long? serviceId = null) => new()
    {
        ["REKEY_URL"] = Host.BaseAddress.ToString(),
        ["REKEY_TOKEN"] = RekeyHost.AdminToken,
        ["REKEY_SERVICE"] = serviceId?.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The same operator pointed at a <see cref="StubServer"/>, with service 1.</summary>
    protected Dictionary<string, string?> EnvFor(StubServer stub)
    {
        var env = Env(1);
        env["REKEY_URL"] = stub.BaseAddress.ToString();
        return env;
    }

    protected Task<CliRun> RekeyAsync(params string[] args) => RunAsync(Env(), null, args);

    protected internal static Task<CliRun> RunAsync(IDictionary<string, string?> env, string? stdin, params string[] args) =>
        RunAsync(env, stdin, null, args);

    /// <summary>A run with standard input on a terminal (<paramref name="terminal"/> answers the prompts).</summary>
    protected internal static async Task<CliRun> RunAsync(IDictionary<string, string?> env, string? stdin, ITerminal? terminal, params string[] args)
    {
        using var input = new StringReader(stdin ?? "");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await RekeyCli.RunAsync(args, input, output, error, env, terminal);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        _admin?.Dispose();
        GC.SuppressFinalize(this);
    }
}
