using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Rekey.Sdk;

namespace Rekey.Cli;

/// <summary>A usage error found while running a command: reported as <c>error: usage …</c>, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>How answers are printed: <c>--output table|json|yaml</c> (<c>--json</c> is <c>--output json</c>).</summary>
internal enum OutputFormat
{
    Table,
    Json,
    Yaml,
}

/// <summary>
/// One run of the tool: the standard streams, the environment, the terminal (if any), the global options, and the
/// SDK client (made on first use, so that <c>--help</c> and usage errors never need a server).
/// </summary>
internal sealed class Session(TextReader stdin, TextWriter stdout, TextWriter stderr, IDictionary<string, string?> env, ITerminal? terminal) : IDisposable
{
    public const string UrlVariable = "REKEY_URL";
    public const string TokenVariable = "REKEY_TOKEN";
    public const string ServiceVariable = "REKEY_SERVICE";
    public const int MaxTimeoutSeconds = 86_400;

    private HttpClient? _http;
    private RekeyClient? _client;
    private SslPolicyErrors? _tlsErrors;
    private ConfigDocument? _config;

    public TextReader In => stdin;

    public TextWriter Out => stdout;

    public TextWriter Error => stderr;

    /// <summary>The terminal to ask questions on; <see langword="null"/> when standard input is not one.</summary>
    public ITerminal? Terminal => terminal;

    public ConfigFile ConfigFile { get; } = ConfigFile.From(name => env.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null);

    public Option<string> Url { get; } = new("--url")
    {
        Description = $"Server base address [env: {UrlVariable}; else the profile's; default: {RekeyCli.DefaultUrl}]",
        Recursive = true,
        HelpName = "url",
    };

    public Option<string> Token { get; } = new("--token")
    {
        Description = $"Bearer token [env: {TokenVariable}; else the profile's]. Prefer 'rekey login' or the variable: arguments land in shell history",
        Recursive = true,
        HelpName = "token",
    };

    public Option<string> Profile { get; } = new("--profile")
    {
        Description = $"Profile of the config file to use (see 'rekey login') [env: {ConfigFile.ProfileVariable}; default: the default profile]",
        Recursive = true,
        HelpName = "name",
    };

    /// <summary>Not global: added to the commands that act on one service.</summary>
    public Option<string> Service { get; } = new("--service", "-s")
    {
        Description = $"Service ID (apiKey) [env: {ServiceVariable}; else the profile's]",
        HelpName = "id",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Same as --output json: the server's JSON body as received, for scripts; errors on stderr as JSON",
        Recursive = true,
    };

    public Option<string> Output { get; } = Commands.Choice("--output", "Output format: table (for people; the default), json (the server's body) or yaml",
        ["table", "json", "yaml"], "-o");

    public Option<int> Timeout { get; } = new("--timeout")
    {
        Description = "Seconds to wait for an answer",
        Recursive = true,
        DefaultValueFactory = _ => 30,
        HelpName = "seconds",
        CustomParser = r => (int)(Commands.WholeNumber(r, "a whole number of seconds") ?? 0),
    };

    public Option<FileInfo> CaCert { get; } = new("--cacert")
    {
        Description = "PEM file with the CA certificate(s) to trust for an https --url, besides the system's",
        Recursive = true,
        HelpName = "file",
    };

    public Option<bool> Insecure { get; } = new("--insecure")
    {
        Description = "Do not check the server's TLS certificate (a test server only: the token goes to whoever answers)",
        Recursive = true,
    };

    /// <summary>Runs a command body: usage errors become exit code 2.</summary>
    public async Task<int> RunAsync(ParseResult parse, Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken);
        }
        catch (UsageException ex)
        {
            return Usage(Format(parse), ex.Message);
        }
    }

    /// <summary>Reports a usage error (the message may quote what the user typed: escaped like everything else).</summary>
    public int Usage(OutputFormat format, string message)
    {
        WriteError(format, "usage", message, null, null);
        return ExitCodes.Usage;
    }

    /// <summary>The output format; <c>--json</c> wins over <c>--output</c>.</summary>
    public OutputFormat Format(ParseResult parse) =>
        parse.GetResult(Json) is { Implicit: false } || parse.GetResult(Output)?.Tokens is [.., { Value: "json" }] ? OutputFormat.Json
        : parse.GetResult(Output)?.Tokens is [.., { Value: "yaml" }] ? OutputFormat.Yaml
        : OutputFormat.Table;

    public bool WantsJson(ParseResult parse) => Format(parse) != OutputFormat.Table;

    /// <summary>The config file's profiles (read once).</summary>
    public ConfigDocument Config => _config ??= ConfigFile.Read();

    /// <summary>The profile name given by <c>--profile</c> or <c>REKEY_PROFILE</c>, if any.</summary>
    public string? ProfileName(ParseResult parse) => parse.GetValue(Profile) ?? Env(ConfigFile.ProfileVariable);

    /// <summary>The profile in use: the one named, else the file's default; a named profile that does not exist is a usage error.</summary>
    public Profile? SelectedProfile(ParseResult parse)
    {
        if (ProfileName(parse) is { } name)
        {
            return Config.Profiles.TryGetValue(name, out var named) ? named
                : throw new UsageException($"no profile '{name}' in {ConfigFile.Path ?? "the config file"}: run 'rekey login --profile {name}'.");
        }

        return Config.Profiles.GetValueOrDefault(Config.Default ?? ConfigFile.DefaultProfile);
    }

    /// <summary>The server address: <c>--url</c>, <c>REKEY_URL</c>, the profile's, the default.</summary>
    public Uri BaseAddress(ParseResult parse, bool useProfile = true)
    {
        var url = parse.GetValue(Url) ?? Env(UrlVariable) ?? (useProfile ? SelectedProfile(parse)?.Url : null) ?? RekeyCli.DefaultUrl;
        return Uri.TryCreate(url, UriKind.Absolute, out var baseAddress) && (baseAddress.Scheme == Uri.UriSchemeHttp || baseAddress.Scheme == Uri.UriSchemeHttps)
            ? baseAddress
            : throw new UsageException($"--url '{url}' is not an absolute http or https URL.");
    }

    /// <summary>The SDK client for the address and token (flags, then the environment, then the profile).</summary>
    public RekeyClient Client(ParseResult parse)
    {
        if (_client is not null)
        {
            return _client;
        }

        var baseAddress = BaseAddress(parse);
        var token = parse.GetValue(Token) ?? Env(TokenVariable) ?? SelectedProfile(parse)?.Token
            ?? throw new UsageException($"no token: run 'rekey login', set {TokenVariable} or pass --token.");
        return _client = Connect(parse, baseAddress, token);
    }

    /// <summary>An SDK client for a given address and token, with the TLS options and the timeout.</summary>
    public RekeyClient Connect(ParseResult parse, Uri baseAddress, string token)
    {
        var timeout = parse.GetValue(Timeout);
        if (timeout is <= 0 or > MaxTimeoutSeconds)
        {
            throw new UsageException($"--timeout must be 1 to {MaxTimeoutSeconds} seconds.");
        }

        _http?.Dispose();
        _http = new HttpClient(Handler(parse), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(timeout) };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("rekey-cli", Version));
        try
        {
            return new RekeyClient(_http, new RekeyClientOptions { BaseAddress = baseAddress, Token = token });
        }
        catch (ArgumentException)
        {
            throw new UsageException("the token has characters a header cannot carry.");
        }
    }

    /// <summary>
    /// The HTTP handler: the system's trust, plus the CAs of <c>--cacert</c>, or no check with <c>--insecure</c>. A
    /// refused certificate is remembered, so that the error says why in plain words instead of the network stack's.
    /// </summary>
    private SocketsHttpHandler Handler(ParseResult parse)
    {
        var insecure = parse.GetValue(Insecure);
        X509Certificate2Collection? roots = null;
        if (parse.GetValue(CaCert) is { } file)
        {
            roots = [];
            try
            {
                roots.ImportFromPemFile(file.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new UsageException($"cannot read --cacert '{file}': {ex.Message}");
            }

            if (roots.Count == 0)
            {
                throw new UsageException($"--cacert '{file}' holds no PEM certificate.");
            }
        }

        if (insecure)
        {
            Human.Line(Error, "warning: --insecure: the server's certificate is not checked.");
        }

        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
        {
            if (errors == SslPolicyErrors.None || insecure || (errors == SslPolicyErrors.RemoteCertificateChainErrors && TrustedBy(roots, certificate, chain)))
            {
                return true;
            }

            _tlsErrors = errors;
            return false;
        };
        return handler;
    }

    private static bool TrustedBy(X509Certificate2Collection? roots, X509Certificate? certificate, X509Chain? presented)
    {
        if (roots is null || certificate is not X509Certificate2 leaf)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(leaf);
    }

    /// <summary>The service ID from <c>--service</c>, <c>REKEY_SERVICE</c> or the profile.</summary>
    public long ServiceId(ParseResult parse) =>
        ParseId(parse.GetValue(Service) ?? Env(ServiceVariable) ?? SelectedProfile(parse)?.Service, "--service",
            $"no service: pass --service <id>, set {ServiceVariable}, or save one with 'rekey login --service <id>'.");

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

    /// <summary>
    /// Asks for confirmation before a command that destroys something. On a terminal the user types <c>y</c> or
    /// <c>yes</c>; without a terminal <c>--yes</c> is required (a script must say so, it cannot be asked).
    /// </summary>
    public void Confirm(ParseResult parse, Option<bool> yes, string what)
    {
        if (parse.GetValue(yes))
        {
            return;
        }

        if (terminal is null)
        {
            throw new UsageException($"{what}: standard input is not a terminal, so pass --yes to confirm.");
        }

        var answer = terminal.ReadLine(TerminalText.Escape($"{what}. Continue? [y/N] "))?.Trim();
        if (answer is not ("y" or "Y" or "yes" or "YES" or "Yes"))
        {
            throw new UsageException("not confirmed; nothing was sent.");
        }
    }

    /// <summary>
    /// Prints a success value (human form, the body as received, or YAML), or reports the error.
    /// <paramref name="withhold"/> removes secrets the user did not ask for from the JSON; when it removes nothing the
    /// body is printed byte for byte. <paramref name="readBack"/> is given by the commands that change something; see
    /// <see cref="Fail"/>.
    /// </summary>
    public int Print<T>(ParseResult parse, RekeyResult<T> result, Action<TextWriter, T> human, Func<JsonNode, bool>? withhold = null, string? readBack = null)
        where T : class
    {
        if (!result.IsSuccess)
        {
            return Fail(parse, result.Error, readBack);
        }

        switch (Format(parse))
        {
            case OutputFormat.Json:
                WriteJson(result.Body, withhold);
                break;
            case OutputFormat.Yaml:
                var node = JsonNode.Parse(result.Body.Span);
                withhold?.Invoke(node ?? new JsonObject());
                Yaml.Write(Out, node);
                break;
            default:
                human(Out, result.Value);
                break;
        }

        return ExitCodes.Success;
    }

    /// <summary>Reports the outcome of a call without a body (deletes).</summary>
    public int Print(ParseResult parse, RekeyResult result, string done, string? readBack = null)
    {
        if (!result.IsSuccess)
        {
            return Fail(parse, result.Error, readBack);
        }

        if (!WantsJson(parse))
        {
            Human.Line(Out, done);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Writes <c>error: &lt;resultCode&gt; &lt;resultMessage&gt;</c> to stderr (a JSON object with <c>--json</c>) and picks
    /// the exit code. When the server could not tell whether the change was made (A000104), a note says so and what to
    /// read back before retrying: <paramref name="readBack"/>, e.g. <c>the client (rekey client get billing)</c>.
    /// </summary>
    public int Fail(ParseResult parse, RekeyError error, string? readBack = null)
    {
        var note = error.Kind == RekeyErrorKind.OutcomeUnknown
            ? "the server lost its database connection while committing; the change may or may not have been made. " +
              $"Read back {readBack ?? "the current state"} before retrying."
            : null;
        if (error.Kind == RekeyErrorKind.Network && _tlsErrors is { } tls)
        {
            var message = tls.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)
                ? $"the server's TLS certificate is not for {_client?.BaseAddress.Host}: check --url (or pass --insecure for a test server)."
                : tls.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)
                    ? "the server sent no TLS certificate."
                    : "the server's TLS certificate is not trusted: pass --cacert <file> with the CA that issued it (or --insecure for a test server).";
            WriteError(Format(parse), "tls", message, null, null);
            return ExitCodes.Failure;
        }

        WriteError(Format(parse), error.ResultCode, error.ResultMessage, error.HttpStatus, note);
        return error.Kind switch
        {
            RekeyErrorKind.Local => ExitCodes.Usage,
            RekeyErrorKind.Refused => ExitCodes.Refused,
            _ => ExitCodes.Failure,
        };
    }

    private void WriteError(OutputFormat format, string code, string message, int? status, string? note)
    {
        if (format == OutputFormat.Json)
        {
            var json = new JsonObject { ["resultCode"] = code, ["resultMessage"] = message };
            if (status is > 0)
            {
                json["httpStatus"] = status;
            }

            if (note is not null)
            {
                json["note"] = note;
            }

            Error.WriteLine(json.ToJsonString());
            return;
        }

        Human.Line(Error, $"error: {code} {message}");
        if (note is not null)
        {
            Human.Line(Error, $"note: {note}");
        }
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

    public string? Env(string name) => env.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    /// <summary>The tool's version: the informational version of its assembly, without the commit suffix.</summary>
    public static string Version =>
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
