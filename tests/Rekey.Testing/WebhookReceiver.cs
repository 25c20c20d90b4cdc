using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rekey.Testing;

/// <summary>One request a <see cref="WebhookReceiver"/> got: the three Standard Webhooks headers and the raw body.</summary>
public sealed record ReceivedWebhook(string? Id, string? Timestamp, string? Signature, byte[] Body, string Path, DateTimeOffset At)
{
    public JsonObject Json => (JsonObject)JsonNode.Parse(Body)!;

    public string Type => Json["type"]!.GetValue<string>();

    public JsonObject Data => Json["data"]!.AsObject();
}

/// <summary>
/// A real webhook receiver: Kestrel on a free loopback port, recording every POST as it arrives and answering
/// <see cref="Status"/> (200 by default; tests turn it to 500 to play a receiver that is down), after
/// <see cref="Delay"/>, or only once <see cref="Release"/> is called when <see cref="Hold"/> holds it (an attempt in flight).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private TaskCompletionSource? _hold;

    private WebhookReceiver(WebApplication app)
    {
        _app = app;
    }

    public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;

    /// <summary>How long each answer waits (a slow receiver); none by default.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>From now on, requests are recorded when they arrive and left without an answer until <see cref="Release"/>.</summary>
    public void Hold() => Volatile.Write(ref _hold, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Answers the requests held (with <see cref="Status"/> as it is now, to senders still waiting) and stops holding.</summary>
    public void Release() => Interlocked.Exchange(ref _hold, null)?.TrySetResult();

    public Uri Url => new(_app.Urls.First() + "/hooks");

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            var headers = http.Request.Headers;
            receiver._received.Enqueue(new ReceivedWebhook(headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], buffer.ToArray(),
                http.Request.Path, DateTimeOffset.UtcNow));
            try
            {
                if (Volatile.Read(ref receiver._hold) is { } hold)
                {
                    await hold.Task.WaitAsync(http.RequestAborted);
                }

                if (receiver.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(receiver.Delay, http.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // The sender went away (its timeout, or its process killed) with the request unanswered.
                return Results.Empty;
            }

            return Results.StatusCode((int)receiver.Status);
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits until the receiver has got a request matching <paramref name="match"/>; the first such.</summary>
    public async Task<ReceivedWebhook> WaitForAsync(Func<ReceivedWebhook, bool> match, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (_received.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No webhook {what ?? "matching"} arrived; received: {string.Join(", ", _received.Select(r => r.Type))}");
    }

    /// <summary>Waits for an event of <paramref name="type"/> about <paramref name="clientId"/> (any client when null).</summary>
    public Task<ReceivedWebhook> WaitForEventAsync(string type, long? clientId = null, TimeSpan? timeout = null) =>
        WaitForAsync(r => r.Type == type && (clientId is null || r.Data["clientId"]?.GetValue<long>() == clientId), timeout, $"{type} for client {clientId}");

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
