using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rekey.Sdk.Webhooks;

namespace Rekey.Cli;

/// <summary>
/// <c>rekey webhook listen</c>: a small receiver on <see cref="HttpListener"/> (no web framework in the tool). Each POST to
/// the path is verified with <see cref="WebhookVerifier"/> over the body exactly as received and reported in one line;
/// it is answered 204 when the signature verifies, 401 when it does not. Requests are handled as they come, so a slow
/// or stalled sender does not hold up the others.
/// </summary>
internal sealed class WebhookListener : IDisposable
{
    /// <summary>A larger body is refused (413) unread: Rekey's events are well under a kilobyte.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    private readonly HttpListener _listener = new();
    private readonly WebhookVerifier _verifier;
    private readonly string _path;
    private readonly TextWriter _output;
    private readonly OutputFormat _format;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private readonly Lock _writing = new();
    private int _received;

    public WebhookListener(WebhookVerifier verifier, string host, int port, string path, TextWriter output, OutputFormat format, TimeProvider time)
    {
        _verifier = verifier;
        _path = path;
        _output = output;
        _format = format;
        _time = time;

        // HttpListener routes by the Host header as well as the address: a prefix for a wildcard host takes every Host;
        // on loopback, a sender may name the machine 127.0.0.1 or localhost.
        var wildcard = host is "*" or "+" or "0.0.0.0" or "::" or "[::]";
        var shown = wildcard ? "*" : host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
        Address = wildcard ? $"http://*:{port}{path}" : $"http://{shown}:{port}{path}";
        _listener.Prefixes.Add($"http://{(wildcard ? "+" : shown)}:{port}/");
        if (shown is "127.0.0.1")
        {
            _listener.Prefixes.Add($"http://localhost:{port}/");
        }
    }

    /// <summary>Where deliveries are expected, as a sender would name it.</summary>
    public string Address { get; }

    /// <summary>Deliveries received so far (POSTs to the path, verified or not).</summary>
    public int Received => Volatile.Read(ref _received);

    /// <summary>Starts listening; an address in use or not of this machine is a usage error.</summary>
    public void Start()
    {
        try
        {
            _listener.Start();
        }
        catch (Exception ex) when (ex is HttpListenerException or System.Net.Sockets.SocketException or InvalidOperationException or KeyNotFoundException
            or ArgumentNullException)
        {
            // Besides the bind's own errors: HttpListener's managed implementation keeps a process-wide table of bound
            // endpoints, which a start racing another listener's stop in the same process can trip over; and it accepts
            // inside its endpoint's constructor, so a sender connecting at that instant (Rekey retrying a delivery to
            // this port) fails the start with an ArgumentNullException from the half-built endpoint. Try again.
            throw new UsageException($"cannot listen on {Address}: {ex.Message} Try again.");
        }
    }

    /// <summary>Answers requests until <paramref name="cancellationToken"/> is cancelled (then throws <see cref="OperationCanceledException"/>).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var inFlight = new List<Task>();
        try
        {
            while (true)
            {
                var context = await _listener.GetContextAsync().WaitAsync(cancellationToken);
                inFlight.RemoveAll(t => t.IsCompleted);
                inFlight.Add(HandleAsync(context));
            }
        }
        finally
        {
            // Let the requests being answered finish (each takes a moment) before the listener closes under them.
            await Task.WhenAny(Task.WhenAll(inFlight), Task.Delay(TimeSpan.FromSeconds(2), _time, CancellationToken.None));
            _listener.Stop();
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            response.StatusCode = await AnswerAsync(request, response);
            response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The sender went away mid-request, or the listener stopped: there is no one left to answer.
            response.Abort();
        }
    }

    private async Task<int> AnswerAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        if (request.Url?.AbsolutePath is not { } path || (path != _path && path != _path + "/" && path + "/" != _path))
        {
            return (int)HttpStatusCode.NotFound;
        }

        if (request.HttpMethod != "POST")
        {
            response.AddHeader("Allow", "POST");
            return (int)HttpStatusCode.MethodNotAllowed;
        }

        Interlocked.Increment(ref _received);
        var now = _time.GetUtcNow();
        var id = request.Headers["webhook-id"];
        var timestamp = request.Headers["webhook-timestamp"];
        var signature = request.Headers["webhook-signature"];
        var body = await ReadBodyAsync(request);
        if (body is null)
        {
            Report(now, id, null, verified: false, repeat: false, $"body over {MaxBodyBytes} bytes");
            return (int)HttpStatusCode.RequestEntityTooLarge;
        }

        var verified = _verifier.Verify(id, timestamp, signature, body, now);
        // The same webhook-id again is a retry or a redelivery: a receiver handles it once.
        var repeat = verified && id is not null && !_seen.TryAdd(id, 0);
        Report(now, id, body, verified, repeat, verified ? null : Reason(id, timestamp, signature, now));
        return verified ? (int)HttpStatusCode.NoContent : (int)HttpStatusCode.Unauthorized;
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpListenerRequest request)
    {
        if (request.ContentLength64 > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.InputStream.ReadAsync(chunk)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Why a delivery did not verify, when the headers say; otherwise the signature is simply not this secret's.</summary>
    private static string? Reason(string? id, string? timestamp, string? signature, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return "missing webhook-id, webhook-timestamp or webhook-signature";
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return "webhook-timestamp is not Unix seconds";
        }

        var skew = Math.Abs(now.ToUnixTimeSeconds() - seconds);
        return skew > WebhookVerifier.Tolerance.TotalSeconds
            ? $"webhook-timestamp is {skew.ToString(CultureInfo.InvariantCulture)} s away from this clock"
            : null;
    }

    /// <summary>
    /// One delivery, as a line (table) or a JSON object per line (json) or a YAML document (yaml). A body that did not
    /// verify is shown too, for debugging, but nothing in it is trusted: every value is escaped like the server's.
    /// </summary>
    private void Report(DateTimeOffset at, string? id, byte[]? body, bool verified, bool repeat, string? reason)
    {
        var parsed = Parse(body);
        var verdict = verified ? (repeat ? "signature ok (repeat)" : "signature ok") : "BAD SIGNATURE" + (reason is null ? "" : $" ({reason})");
        lock (_writing)
        {
            switch (_format)
            {
                case OutputFormat.Table:
                    var type = parsed?["type"] is JsonValue t && t.TryGetValue<string>(out var text) ? text : "-";
                    var clientId = parsed?["data"]?["clientId"] is JsonValue c && c.TryGetValue<long>(out var client)
                        ? "client " + client.ToString(CultureInfo.InvariantCulture)
                        : "-";
                    Human.Line(_output, string.Join("  ",
                        Human.Time(at.ToUnixTimeMilliseconds()), type.PadRight(25), (id ?? "-").PadRight(32), clientId.PadRight(23), verdict));
                    break;
                default:
                    var line = new JsonObject
                    {
                        ["receivedAt"] = Human.Time(at.ToUnixTimeMilliseconds()),
                        ["eventId"] = id,
                        ["verified"] = verified,
                        ["repeat"] = repeat,
                        ["reason"] = reason,
                        ["event"] = parsed?.DeepClone(),
                    };
                    if (_format == OutputFormat.Json)
                    {
                        _output.WriteLine(TerminalText.Json(line.ToJsonString()));
                    }
                    else
                    {
                        _output.WriteLine("---");
                        Yaml.Write(_output, line);
                    }

                    break;
            }

            _output.Flush();
        }
    }

    private static JsonNode? Parse(byte[]? body)
    {
        if (body is null || body.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _listener.Close();
}
