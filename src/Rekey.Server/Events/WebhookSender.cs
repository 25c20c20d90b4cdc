using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Rekey.Server.Http;

namespace Rekey.Server.Events;

/// <summary>
/// What one delivery attempt came to. <paramref name="Delivered"/> only for a 2xx answer, and then
/// <paramref name="Error"/> is null; otherwise <paramref name="Error"/> says why in a few words. Nothing here is
/// secret: the receiver's answer is the receiver's, and no signature or key is kept.
/// </summary>
/// <param name="Delivered">The receiver answered 2xx.</param>
/// <param name="StatusCode">The status the receiver answered, or null when no answer came.</param>
/// <param name="Error">Null when delivered; else <c>HTTP 500</c>, <c>timeout</c>, <c>refused: …</c>, <c>connect: …</c> and the like.</param>
/// <param name="ResponseExcerpt">At most 256 characters of the start of the answer's body, escaped; null when it had none.</param>
/// <param name="Elapsed">From the start of the attempt to the end of reading the answer.</param>
internal readonly record struct DeliveryAttempt(bool Delivered, int? StatusCode, string? Error, string? ResponseExcerpt, TimeSpan Elapsed);

/// <summary>
/// POSTs signed webhooks. One instance for the process: one connection pool, whose connections are each opened by
/// <see cref="ConnectAsync"/>, which resolves the name itself and connects only to an address it has just checked, so
/// that neither a private address nor a DNS answer that changes between check and use (rebinding) gets through. No
/// proxy (it would connect for us, past the check), no redirects (a public URL could send us to a private one), no
/// cookies. A network failure is an attempt that failed, never an exception; only the caller's cancellation throws.
/// </summary>
internal sealed class WebhookSender : IDisposable
{
    /// <summary>How much of an answer's body is read: enough for an error message, not a receiver's whole page.</summary>
    public const int MaxResponseBytes = 4 * 1024;

    /// <summary>The longest <see cref="DeliveryAttempt.ResponseExcerpt"/>.</summary>
    public const int MaxExcerptLength = 256;

    private readonly bool _allowPrivateNetworks;
    private readonly TimeSpan _timeout;
    private readonly HttpClient _client;

    /// <param name="allowPrivateNetworks">Connect to loopback, private and reserved addresses too, and send over http.</param>
    /// <param name="timeout">The whole attempt, from connecting to the end of reading the answer.</param>
    /// <param name="userAgent">The User-Agent of every request, printable ASCII.</param>
    public WebhookSender(bool allowPrivateNetworks, TimeSpan timeout, string userAgent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentException.ThrowIfNullOrWhiteSpace(userAgent);
        if (userAgent.AsSpan().ContainsAnyExceptInRange(' ', '~'))
        {
            throw new ArgumentException("A User-Agent is printable ASCII.", nameof(userAgent));
        }

        _allowPrivateNetworks = allowPrivateNetworks;
        _timeout = timeout;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            // A pooled connection keeps the address it was checked with; a new one resolves and checks again.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = timeout,
            // An unread rest of an answer longer than this closes the connection instead of being read to reuse it.
            MaxResponseDrainSize = 4 * MaxResponseBytes,
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent);
    }

    /// <summary>
    /// POSTs <paramref name="body"/> (JSON) to <paramref name="url"/> with the Standard Webhooks headers, within the
    /// timeout, and reads at most <see cref="MaxResponseBytes"/> of the answer.
    /// </summary>
    /// <param name="url">The endpoint; an http URL is refused unless private networks are allowed.</param>
    /// <param name="messageId">The <c>webhook-id</c>: the same on every attempt of one message.</param>
    /// <param name="timestampSeconds">The <c>webhook-timestamp</c>: the time of this attempt, as signed.</param>
    /// <param name="signatureHeader">The <c>webhook-signature</c> (<see cref="StandardWebhooks.SignatureHeader"/>).</param>
    /// <param name="body">The exact bytes signed.</param>
    /// <param name="ct">The caller's cancellation: it throws, as the one exception this method lets out.</param>
    public async Task<DeliveryAttempt> SendAsync(Uri url, string messageId, long timestampSeconds, string signatureHeader, byte[] body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(messageId);
        ArgumentNullException.ThrowIfNull(signatureHeader);
        ArgumentNullException.ThrowIfNull(body);
        ct.ThrowIfCancellationRequested();

        var clock = Stopwatch.StartNew();
        if (!url.IsAbsoluteUri || !(url.Scheme == Uri.UriSchemeHttps || (_allowPrivateNetworks && url.Scheme == Uri.UriSchemeHttp)))
        {
            return Failed("refused: the URL's scheme must be https", clock);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("webhook-id", messageId);
        request.Headers.Add("webhook-timestamp", timestampSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signatureHeader);

        // Wall-clock time on purpose, not a TimeProvider: this bounds a wait on the network, like ConnectTimeout does.
        using var timeout = new CancellationTokenSource(_timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var status = (int)response.StatusCode;
            var excerpt = await ReadExcerptAsync(response.Content, linked.Token, ct);
            var error = status switch
            {
                >= 200 and <= 299 => null,
                >= 300 and <= 399 => $"HTTP {status}: redirects are not followed",
                _ => $"HTTP {status}",
            };
            return new DeliveryAttempt(error is null, status, error, excerpt, clock.Elapsed);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Failed("timeout", clock);
        }
        catch (HttpRequestException e)
        {
            return Failed(Describe(e), clock);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    /// <summary>
    /// Opens each new connection: resolves the host, refuses it when any address it resolves to is not public (unless
    /// private networks are allowed), then connects to one of exactly those addresses. Refusing the whole name rather
    /// than skipping its private addresses is on purpose: a name that answers with both is misconfigured or an attack,
    /// and a delivery that works or fails depending on the order of the DNS answer helps nobody.
    /// </summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, ct);
            }
            catch (SocketException e)
            {
                throw new ConnectFailure($"dns: {e.Message}", e);
            }
        }

        if (addresses.Length == 0)
        {
            throw new ConnectFailure("dns: the name has no address");
        }

        if (!_allowPrivateNetworks && Array.Find(addresses, address => !OutboundAddresses.IsPublic(address)) is { } refused)
        {
            throw new ConnectFailure($"refused: the address {refused} is not public");
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var connected = false;
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                connected = true;
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                last = e; // the next address, if there is one
            }
            finally
            {
                if (!connected)
                {
                    socket.Dispose();
                }
            }
        }

        throw new ConnectFailure($"connect: {last?.Message} ({host}:{context.DnsEndPoint.Port})", last);
    }

    private static async Task<string?> ReadExcerptAsync(HttpContent content, CancellationToken token, CancellationToken callerToken)
    {
        var buffer = new byte[MaxResponseBytes];
        var read = 0;
        try
        {
            await using var stream = await content.ReadAsStreamAsync(token);
            while (read < buffer.Length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), token);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !callerToken.IsCancellationRequested))
        {
            // The status has come and decides the attempt; a body that breaks off or dribbles past the timeout only
            // shortens the excerpt.
        }

        return Excerpt(Encoding.UTF8.GetString(buffer, 0, read));
    }

    /// <summary>
    /// <paramref name="text"/> escaped as <see cref="UntrustedText.Printable"/> does, cut to at most
    /// <see cref="MaxExcerptLength"/> characters on a boundary between escapes, with "…" when cut. Null when empty.
    /// </summary>
    internal static string? Excerpt(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        var whole = UntrustedText.Printable(text, int.MaxValue);
        if (whole.Length <= MaxExcerptLength)
        {
            return whole;
        }

        var excerpt = new StringBuilder(MaxExcerptLength);
        for (var i = 0; i < text.Length; i++)
        {
            var length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            var shown = UntrustedText.Printable(text.Substring(i, length), int.MaxValue);
            if (excerpt.Length + shown.Length > MaxExcerptLength - 1)
            {
                break;
            }

            excerpt.Append(shown);
            i += length - 1;
        }

        return excerpt.Append('…').ToString();
    }

    private static string Describe(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is ConnectFailure failure)
            {
                return UntrustedText.Printable(failure.Message, 200);
            }
        }

        var stage = e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "dns",
            HttpRequestError.ConnectionError => "connect",
            HttpRequestError.SecureConnectionError => "tls",
            _ when e.GetBaseException() is AuthenticationException => "tls",
            _ => "http",
        };
        return stage + ": " + UntrustedText.Printable(e.GetBaseException().Message, 160);
    }

    private static DeliveryAttempt Failed(string error, Stopwatch clock) => new(false, null, error, null, clock.Elapsed);

    /// <summary>Why a connection was not made, in the words <see cref="DeliveryAttempt.Error"/> shows.</summary>
    private sealed class ConnectFailure(string message, Exception? inner = null) : Exception(message, inner);
}
