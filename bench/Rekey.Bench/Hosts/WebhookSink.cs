using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rekey.Bench.Hosts;

/// <summary>
/// The outbox scenario's webhook receiver, in the harness's own process (its CPU counts as the load generator's): Kestrel
/// on a free loopback port answering 204 to every <c>POST /hooks/{name}</c> at once, without reading more than it
/// must. It counts, per path, the requests and the distinct <c>webhook-id</c> headers — an event sent twice (at least
/// once) is delivered once.
/// </summary>
internal sealed class WebhookSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Counter> _paths = new(StringComparer.Ordinal);

    private WebhookSink(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseAddress => new(_app.Urls.First());

    /// <summary>Where a server named <paramref name="name"/> sends its webhook deliveries.</summary>
    public Uri UrlFor(string name) => new(BaseAddress, "hooks/" + name);

    /// <summary>Distinct events received on <paramref name="name"/>'s path so far.</summary>
    public long Delivered(string name) => _paths.TryGetValue(name, out var c) ? c.Ids.Count : 0;

    /// <summary>Requests received on <paramref name="name"/>'s path so far (an event sent twice counts twice).</summary>
    public long Requests(string name) => _paths.TryGetValue(name, out var c) ? Interlocked.Read(ref c.Requests) : 0;

    public static async Task<WebhookSink> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var sink = new WebhookSink(app);
        app.MapPost("/hooks/{name}", (string name, HttpContext http) =>
        {
            var counter = sink._paths.GetOrAdd(name, _ => new Counter());
            Interlocked.Increment(ref counter.Requests);
            if (http.Request.Headers["webhook-id"] is [{ } id])
            {
                counter.Ids.TryAdd(id, 0);
            }

            return Results.NoContent();
        });
        await app.StartAsync(ct);
        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class Counter
    {
        public readonly ConcurrentDictionary<string, byte> Ids = new(StringComparer.Ordinal);
        public long Requests;
    }
}
