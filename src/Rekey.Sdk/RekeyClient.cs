using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Rekey.Contracts;

namespace Rekey.Sdk;

/// <summary>
/// Typed client for the Rekey server: one method per endpoint, each returning a <see cref="RekeyResult{T}"/> (or a
/// <see cref="RekeyResult"/> for the deletes answered with HTTP 204 and no body) that carries the response or the error. Methods throw only when the
/// caller's <see cref="CancellationToken"/> is cancelled (<see cref="OperationCanceledException"/>) or for
/// programming errors (null or empty arguments). Thread-safe; create one per <see cref="HttpClient"/>, or register it
/// with <c>services.AddRekeyClient(…)</c>.
/// </summary>
/// <remarks>
/// The endpoint methods live in the partial files by resource (<c>RekeyClient.Services.cs</c>, …); each is one call
/// to <c>SendAsync</c> with the path, the body and the response type.
/// </remarks>
public sealed partial class RekeyClient
{
    private static readonly RekeyJsonContext Json = RekeyJsonContext.Default;
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };

    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <summary>Creates a client that sends its requests through <paramref name="httpClient"/>.</summary>
    /// <param name="httpClient">The transport; the caller owns it (and its lifetime).</param>
    /// <param name="options">Base address and token; see <see cref="RekeyClientOptions"/>.</param>
    /// <exception cref="ArgumentException">No absolute http(s) base address, or a token with characters a header cannot carry.</exception>
    public RekeyClient(HttpClient httpClient, RekeyClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        var baseAddress = options.BaseAddress ?? httpClient.BaseAddress
            ?? throw new ArgumentException("RekeyClientOptions.BaseAddress (or HttpClient.BaseAddress) must be set.", nameof(options));
        if (!baseAddress.IsAbsoluteUri || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The base address '{baseAddress}' must be an absolute http or https URL.", nameof(options));
        }

        if (options.Token is { } token && (token.Length == 0 || token.Any(c => c is <= ' ' or > '~')))
        {
            // Never echo the token: it is a credential.
            throw new ArgumentException("RekeyClientOptions.Token must be non-empty visible ASCII without spaces.", nameof(options));
        }

        _http = httpClient;
        BaseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        _authorization = options.Token is null ? null : new AuthenticationHeaderValue("Bearer", options.Token);
    }

    /// <summary>The base address requests are sent to (always ending in <c>/</c>).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Sends a request and deserialises a success answer as <typeparamref name="T"/>.</summary>
    private async Task<RekeyResult<T>> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> responseType, CancellationToken cancellationToken)
        where T : class
    {
        var answer = await ExchangeAsync(method, path, content, cancellationToken);
        if (answer.Error is { } error)
        {
            return new RekeyResult<T>(error, answer.Body);
        }

        T? value;
        try
        {
            value = answer.Body.Length == 0 ? null : JsonSerializer.Deserialize(answer.Body.Span, responseType);
        }
        catch (JsonException)
        {
            value = null;
        }

        return value is null
            ? new RekeyResult<T>(InvalidResponse(answer.Status, answer.Body, $"a {typeof(T).Name}"), answer.Body)
            : new RekeyResult<T>(value, answer.Status, answer.Body);
    }

    /// <summary>Sends a request whose success answer has no body (204).</summary>
    private async Task<RekeyResult> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        var answer = await ExchangeAsync(method, path, null, cancellationToken);
        return answer.Error is { } error ? new RekeyResult(error, answer.Body) : new RekeyResult(answer.Status);
    }

    private readonly record struct Answer(int Status, ReadOnlyMemory<byte> Body, RekeyError? Error);

    /// <summary>
    /// The one place that touches the network: sends, reads the whole body, and turns every failure other than the
    /// caller's cancellation into a <see cref="RekeyError"/>.
    /// </summary>
    private async Task<Answer> ExchangeAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var request = new HttpRequestMessage(method, new Uri(BaseAddress, path)) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_authorization is not null)
        {
            request.Headers.Authorization = _authorization;
        }

        int status;
        byte[] body;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            // Not the caller's token: HttpClient.Timeout elapsed.
            return new Answer(0, default, NoAnswer(RekeyErrorCodes.Timeout,
                $"No answer from {BaseAddress} within {_http.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s."));
        }
        catch (HttpRequestException ex)
        {
            return new Answer(0, default, NoAnswer(RekeyErrorCodes.Network, $"Could not reach {BaseAddress}: {Describe(ex)}"));
        }
        catch (IOException ex)
        {
            return new Answer(0, default, NoAnswer(RekeyErrorCodes.Network, $"The connection to {BaseAddress} failed: {ex.Message}"));
        }

        if (status is >= 200 and < 300)
        {
            return new Answer(status, body, null);
        }

        ResultResponse? result;
        try
        {
            result = body.Length == 0 ? null : JsonSerializer.Deserialize(body, Json.ResultResponse);
        }
        catch (JsonException)
        {
            result = null;
        }

        var error = result is null
            ? InvalidResponse(status, body, "{resultCode, resultMessage}")
            : new RekeyError { HttpStatus = status, ResultCode = result.ResultCode, ResultMessage = result.ResultMessage, RawBody = Encoding.UTF8.GetString(body) };
        return new Answer(status, body, error);
    }

    /// <summary>
    /// A client secret that breaks <see cref="ClientSecretRules"/>, refused without a request: the code, message and
    /// status the server would have answered with, and <see cref="RekeyError.IsLocal"/>.
    /// </summary>
    private static Task<RekeyResult<T>> RefusedLocally<T>(RuleViolation violation)
        where T : class =>
        Task.FromResult(new RekeyResult<T>(new RekeyError
        {
            HttpStatus = violation.Code.HttpStatus,
            ResultCode = violation.Code.Code,
            ResultMessage = violation.Message,
            IsLocal = true,
        }));

    private static RekeyError NoAnswer(string code, string message) =>
        new() { HttpStatus = 0, ResultCode = code, ResultMessage = message };

    private static RekeyError InvalidResponse(int status, ReadOnlyMemory<byte> body, string expected) => new()
    {
        HttpStatus = status,
        ResultCode = RekeyErrorCodes.InvalidResponse,
        ResultMessage = body.Length == 0
            ? $"HTTP {status} with an empty body; expected {expected}."
            : $"HTTP {status} with a body of {body.Length} bytes that is not {expected}.",
        RawBody = Encoding.UTF8.GetString(body.Span),
    };

    private static string Describe(HttpRequestException ex) =>
        ex.InnerException is { } inner && !ex.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{ex.Message} ({inner.Message})" : ex.Message;

    /// <summary>A JSON request body, serialised by the source-generated context, with a known length.</summary>
    private static ByteArrayContent Body<T>(T value, JsonTypeInfo<T> type)
    {
        ArgumentNullException.ThrowIfNull(value);
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = JsonMediaType;
        return content;
    }

    /// <summary>A path segment from a caller-supplied identifier (client ID or alias).</summary>
    private static string Segment(string identifier, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier, paramName);
        return Uri.EscapeDataString(identifier);
    }

    /// <summary>A query string from the parameters that have a value (<c>""</c> when none has).</summary>
    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var query = new StringBuilder();
        foreach (var (name, value) in parameters)
        {
            if (value is not null)
            {
                query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        return query.ToString();
    }

    /// <summary>A number for the query string, in invariant digits; <see langword="null"/> leaves the parameter out.</summary>
    private static string? Number(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    /// <summary>A paging index for the query string; negative indexes are a programming error.</summary>
    private static string? Index(int? value, string paramName)
    {
        if (value is < 0)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "Paging indexes are non-negative.");
        }

        return value?.ToString(CultureInfo.InvariantCulture);
    }
}
