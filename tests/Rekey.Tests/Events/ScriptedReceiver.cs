using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rekey.Tests.Events;

/// <summary>
/// A webhook receiver on Kestrel, plain http on 127.0.0.1, that records every request and every TCP connection it
/// accepts. Its paths answer the way receivers misbehave: <c>/hook</c> 200 "ok", <c>/redirect</c> 302 to /hook,
/// <c>/slow</c> never, <c>/fail</c> 500 with control characters in a long body, <c>/big</c> a 5 MB body whose last byte
/// never comes.
/// </summary>
public sealed class ScriptedReceiver : IAsyncDisposable
{
    /// <summary>The declared length of /big's body.</summary>
    public const int BigBodyLength = 5_000_000;

    /// <summary>How /big's body starts, before the filler.</summary>
    public const string BigBodyStart = "big\tbody\n";

    /// <summary>How /fail's body starts, before the filler.</summary>
    public const string FailBodyStart = "boom\r\n\u001b[31mred\u0000";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _requests = new();
    private readonly TaskCompletionSource _bigBodyAbandoned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StrongBox<int> _connections;

    private ScriptedReceiver(WebApplication app, StrongBox<int> connections)
    {
        _app = app;
        _connections = connections;
    }

    public int Port { get; private set; }

    /// <summary>The TCP connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections.Value);

    /// <summary>The requests received so far, in order.</summary>
    public IReadOnlyCollection<Received> Requests => _requests;

    /// <summary>Completes when the client of /big closed the connection before the body's end.</summary>
    public Task BigBodyAbandoned => _bigBodyAbandoned.Task;

    public Uri Url(string path, string scheme = "http", string host = "127.0.0.1") => new($"{scheme}://{host}:{Port}{path}");

    public static async Task<ScriptedReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var connections = new StrongBox<int>();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Use(next => connection =>
        {
            Interlocked.Increment(ref connections.Value);
            return next(connection);
        })));
        var app = builder.Build();
        var receiver = new ScriptedReceiver(app, connections);
        app.Run(receiver.AnswerAsync);
        await app.StartAsync();
        receiver.Port = new Uri(app.Urls.Single()).Port;
        return receiver;
    }

    private async Task AnswerAsync(HttpContext http)
    {
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        var headers = new HeaderDictionary();
        foreach (var (name, value) in http.Request.Headers)
        {
            headers[name] = value;
        }

        _requests.Enqueue(new Received(http.Request.Method, http.Request.Path.Value ?? "", headers, body.ToArray()));
        switch (http.Request.Path.Value)
        {
            case "/hook":
                await http.Response.WriteAsync("ok", http.RequestAborted);
                break;
            case "/redirect":
                http.Response.StatusCode = StatusCodes.Status302Found;
                http.Response.Headers.Location = "/hook";
                break;
            case "/slow":
                await WaitForAbortAsync(http);
                break;
            case "/fail":
                http.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await http.Response.WriteAsync(FailBodyStart + new string('x', 1000), http.RequestAborted);
                break;
            case "/big":
                await AnswerBigAsync(http);
                break;
            default:
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    // All of a 5 MB body but its last byte, then a wait for the client to go: one that read to the end would wait for
    // that byte until its timeout.
    private async Task AnswerBigAsync(HttpContext http)
    {
        http.Response.ContentLength = BigBodyLength;
        var chunk = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
        try
        {
            await http.Response.Body.WriteAsync(Encoding.ASCII.GetBytes(BigBodyStart), http.RequestAborted);
            var left = BigBodyLength - BigBodyStart.Length - 1;
            while (left > 0)
            {
                var n = Math.Min(left, chunk.Length);
                await http.Response.Body.WriteAsync(chunk.AsMemory(0, n), http.RequestAborted);
                left -= n;
            }

            await WaitForAbortAsync(http);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went while the body was being written.
        }

        if (http.RequestAborted.IsCancellationRequested)
        {
            _bigBodyAbandoned.TrySetResult();
        }
    }

    private static async Task WaitForAbortAsync(HttpContext http)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMinutes(1), http.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client went, as expected.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>One request as the receiver saw it.</summary>
    public sealed record Received(string Method, string Path, IHeaderDictionary Headers, byte[] Body);
}
