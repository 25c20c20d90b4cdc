using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Rekey.Sdk;

namespace Rekey.Cli;

/// <summary>A usage error found while running a command: reported as <c>error: usage …</c>, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// One run of the tool: the standard streams, the environment, the global options, and the SDK client (made on first
/// use, so that <c>--help</c> and usage errors never need a server).
/// </summary>
internal sealed class Session(TextReader stdin, TextWriter stdout, TextWriter stderr, IDictionary<string, string?> env) : IDisposable
{
    public const string UrlVariable = "REKEY_URL";
    public const string TokenVariable = "REKEY_TOKEN";
    public const string ServiceVariable = "REKEY_SERVICE";
    public const int MaxTimeoutSeconds = 86_400;

    private HttpClient? _http;
    private RekeyClient? _client;

    public TextReader In => stdin;

    public TextWriter Out => stdout;

    public TextWriter Error => stderr;

    public Option<string> Url { get; } = new("--url")
    {
        Description = $"Server base address [env: {UrlVariable}; default: {RekeyCli.DefaultUrl}]",
        Recursive = true,
        HelpName = "url",
    };

    public Option<string> Token { get; } = new("--token")
    {
        Description = $"Bearer token: the organisation token or an API token [env: {TokenVariable}; prefer the variable, arguments land in shell history]",
        Recursive = true,
        HelpName = "token",
    };

    public Option<string> Service { get; } = new("--service")
    {
        Description = $"Service ID (apiKey) for service, client, secret, audit and signing-key commands [env: {ServiceVariable}]",
        Recursive = true,
        HelpName = "id",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the server's JSON body as received, for scripts (secrets not asked for are withheld)",
        Recursive = true,
    };

    public Option<int> Timeout { get; } = new("--timeout")
    {
        Description = "Seconds to wait for an answer",
        Recursive = true,
        DefaultValueFactory = _ => 30,
        HelpName = "seconds",
    };

    /// <summary>Runs a command body: usage errors become exit code 2.</summary>
    public async Task<int> RunAsync(Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken);
        }
        catch (UsageException ex)
        {
            // The message may quote what the user typed (--url, --client): escaped like everything else.
            Human.Line(Error, $"error: usage {ex.Message}");
            return ExitCodes.Usage;
        }
    }

    /// <summary>The SDK client for <c>--url</c>/<c>--token</c> (or the environment).</summary>
    public RekeyClient Client(ParseResult parse)
    {
        if (_client is not null)
        {
            return _client;
        }

        var url = parse.GetValue(Url) ?? Env(UrlVariable) ?? RekeyCli.DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseAddress) || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--url '{url}' is not an absolute http or https URL.");
        }

        var token = parse.GetValue(Token) ?? Env(TokenVariable)
            ?? throw new UsageException($"no token: set {TokenVariable} or pass --token.");
        var timeout = parse.GetValue(Timeout);
        if (timeout is <= 0 or > MaxTimeoutSeconds)
        {
            throw new UsageException($"--timeout must be 1 to {MaxTimeoutSeconds} seconds.");
        }

        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(timeout) };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("rekey-cli", Version));
        try
        {
            _client = new RekeyClient(_http, new RekeyClientOptions { BaseAddress = baseAddress, Token = token });
        }
        catch (ArgumentException)
        {
            throw new UsageException($"the token (--token or {TokenVariable}) has characters a header cannot carry.");
        }

        return _client;
    }

    /// <summary>The service ID from <c>--service</c> or <c>REKEY_SERVICE</c>.</summary>
    public long ServiceId(ParseResult parse) =>
        ParseId(parse.GetValue(Service) ?? Env(ServiceVariable), "--service", $"no service: pass --service <id> or set {ServiceVariable}.");

    public static long ParseId(string? text, string name, string missing)
    {
        if (text is null)
        {
            throw new UsageException(missing);
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw new UsageException($"{name} '{text}' is not a service ID (a positive integer).");
    }

    /// <summary>Paging: a present value must be non-negative.</summary>
    public static int? Index(ParseResult parse, Option<int?> option) =>
        parse.GetValue(option) is { } value && value < 0 ? throw new UsageException($"{option.Name} must not be negative.") : parse.GetValue(option);

    public bool WantsJson(ParseResult parse) => parse.GetValue(Json);

    /// <summary>
    /// Prints a success value (human form, or the body as received with <c>--json</c>), or reports the error.
    /// <paramref name="withhold"/> removes secrets the user did not ask for from the JSON; when it removes nothing the
    /// body is printed byte for byte. <paramref name="readBack"/> is given by the commands that change something; see
    /// <see cref="Fail"/>.
    /// </summary>
    public int Print<T>(ParseResult parse, RekeyResult<T> result, Action<TextWriter, T> human, Func<JsonNode, bool>? withhold = null, string? readBack = null)
        where T : class
    {
        if (!result.IsSuccess)
        {
            return Fail(result.Error, readBack);
        }

        if (WantsJson(parse))
        {
            WriteJson(result.Body, withhold);
        }
        else
        {
            human(Out, result.Value);
        }

        return ExitCodes.Success;
    }

    /// <summary>Reports the outcome of a call without a body (deletes).</summary>
    public int Print(ParseResult parse, RekeyResult result, string done, string? readBack = null)
    {
        if (!result.IsSuccess)
        {
            return Fail(result.Error, readBack);
        }

        if (!WantsJson(parse))
        {
            Human.Line(Out, done);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Writes <c>error: &lt;resultCode&gt; &lt;resultMessage&gt;</c> to stderr and picks the exit code. When the server
    /// could not tell whether the change was made (A000104), a second line says so and what to read back before
    /// retrying: <paramref name="readBack"/>, e.g. <c>the client (rekey client get billing)</c>, or the current state.
    /// </summary>
    public int Fail(RekeyError error, string? readBack = null)
    {
        Human.Line(Error, $"error: {error.ResultCode} {error.ResultMessage}");
        if (error.Kind == RekeyErrorKind.OutcomeUnknown)
        {
            Human.Line(Error, "note: the server lost its database connection while committing; the change may or may not have been made. " +
                $"Read back {readBack ?? "the current state"} before retrying.");
        }

        return error.Kind switch
        {
            RekeyErrorKind.Local => ExitCodes.Usage,
            RekeyErrorKind.Refused => ExitCodes.Refused,
            _ => ExitCodes.Failure,
        };
    }

    /// <summary>
    /// The body as received, or re-serialised without the withheld secrets; either way without a raw control
    /// character (the body parsed as the answer's type, so it is valid JSON, which <see cref="TerminalText.Json"/> needs).
    /// </summary>
    private void WriteJson(ReadOnlyMemory<byte> body, Func<JsonNode, bool>? withhold)
    {
        var text = withhold is not null && JsonNode.Parse(body.Span) is { } node && withhold(node)
            ? node.ToJsonString()
            : Encoding.UTF8.GetString(body.Span);
        Out.WriteLine(TerminalText.Json(text));
    }

    private string? Env(string name) => env.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    private static string Version =>
        typeof(Session).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    public void Dispose() => _http?.Dispose();
}

/// <summary>Removers of secret properties from a JSON answer, for <c>--json</c> output.</summary>
internal static class Withhold
{
    /// <summary>Removes a top-level property; true if it was there.</summary>
    public static Func<JsonNode, bool> Property(string name) => node => node is JsonObject o && o.Remove(name);

    /// <summary>Removes a property from every object of a top-level array; true if any was there.</summary>
    public static Func<JsonNode, bool> InEach(string array, string name) => node =>
        node is JsonObject { } o && o[array] is JsonArray items && items.OfType<JsonObject>().Select(i => i.Remove(name)).ToList().Contains(true);
}
