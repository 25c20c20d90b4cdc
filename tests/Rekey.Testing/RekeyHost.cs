using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Rekey.Testing;

/// <summary>
/// The real Rekey server (its own <c>Program</c>) listening on Kestrel on a free loopback port, over a
/// <see cref="TestStore"/>. Tests talk to it over real HTTP. Log lines are captured in <see cref="Logs"/> so that
/// tests can prove no secret reaches them.
/// </summary>
public sealed class RekeyHost : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-0123456789abcdef";

    /// <summary>The master key every test server starts with (<c>Rekey:MasterKeys:0</c>): servers on one store share it.</summary>
    public static readonly string MasterKey = "test1:" + Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private readonly Factory _factory;

    private RekeyHost(Factory factory, TestStore store)
    {
        _factory = factory;
        Store = store;
        BaseAddress = factory.ClientOptions.BaseAddress;
    }

    public TestStore Store { get; }

    public Uri BaseAddress { get; }

    public LogSink Logs => _factory.Logs;

    public IServiceProvider Services => _factory.Services;

    /// <summary>Starts a server on <paramref name="store"/>. <paramref name="settings"/> add or override configuration.</summary>
    public static Task<RekeyHost> StartAsync(TestStore store, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>(store.Settings)
        {
            ["Rekey:AdminToken"] = AdminToken,
            ["Rekey:MasterKeys:0"] = MasterKey,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            // A null value removes a default (e.g. no admin token: let the server generate one).
            if (value is null)
            {
                all.Remove(key);
            }
            else
            {
                all[key] = value;
            }
        }

        var factory = new Factory(all, services);
        // Kestrel picks the port itself. UseKestrel(0) would have the factory rewrite the server's address list after
        // the app was built, racing the app's own start on its thread: "IServerAddressesFeature.Addresses cannot be
        // modified after the server has started" (dotnet/aspnetcore#67714), seen on restarts over a migrated store.
        factory.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        factory.StartServer();
        return Task.FromResult(new RekeyHost(factory, store));
    }

    /// <summary>A client without credentials.</summary>
    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        return client;
    }

    /// <summary>A client carrying <paramref name="token"/> (the admin token by default).</summary>
    public HttpClient CreateClient(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient CreateAdminClient() => CreateClient(AdminToken);

    /// <summary>
    /// The organisation token's client for a server started elsewhere (a server process, <see cref="ProgramProcess"/>)
    /// with <c>Rekey:AdminToken</c> = <see cref="AdminToken"/>; <paramref name="handler"/> is not disposed with it.
    /// </summary>
    public static HttpClient AdminClientFor(Uri baseAddress, HttpMessageHandler? handler = null)
    {
        var client = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        client.BaseAddress = baseAddress;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    public T GetService<T>()
        where T : notnull => _factory.Services.GetRequiredService<T>();

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services) : WebApplicationFactory<Program>
    {
        public LogSink Logs { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureLogging(logging => logging.AddProvider(Logs));
            if (services is not null)
            {
                builder.ConfigureTestServices(services);
            }
        }
    }
}

/// <summary>Captures every formatted log line (and exception text) of a server.</summary>
public sealed class LogSink : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink._lines.Enqueue($"{logLevel} {category} [{eventId.Id}] {formatter(state, exception)} {exception}");
    }
}
