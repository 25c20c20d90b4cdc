using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

/// <summary>Counts the requests that reach the network, to prove when the SDK sends none.</summary>
public sealed class CountingHandler : DelegatingHandler
{
    private int _count;

    public CountingHandler(HttpMessageHandler? inner = null)
    {
        InnerHandler = inner ?? new SocketsHttpHandler();
    }

    public int Count => Volatile.Read(ref _count);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// An SDK client against the class's real server (admin token), with a request counter, and the admin over plain
/// HTTP to create a fresh service and client per test, so that tests stay independent.
/// </summary>
public abstract class SdkTestBase(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>, IDisposable
{
    private readonly List<HttpClient> _clients = [];

    protected RekeyHost Host => fixture.Host;

    protected CountingHandler Counter { get; } = new();

    protected RekeyClient Rekey => field ??= Connect(RekeyHost.AdminToken, Counter);

    /// <summary>The admin over plain HTTP, for what a test needs before it calls the SDK (<see cref="TestApi"/>): setup does not go through the code under test.</summary>
    protected HttpClient Admin => field ??= Track(Host.CreateAdminClient());

    protected RekeyClient Connect(string? token, HttpMessageHandler? handler = null, Uri? baseAddress = null, TimeSpan? timeout = null)
    {
        var http = new HttpClient(handler ?? new SocketsHttpHandler());
        if (timeout is { } t)
        {
            http.Timeout = t;
        }

        Track(http);
        return new RekeyClient(http, new RekeyClientOptions { BaseAddress = baseAddress ?? Host.BaseAddress, Token = token });
    }

    private HttpClient Track(HttpClient http)
    {
        _clients.Add(http);
        return http;
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        Counter.Dispose();
        GC.SuppressFinalize(this);
    }
}
