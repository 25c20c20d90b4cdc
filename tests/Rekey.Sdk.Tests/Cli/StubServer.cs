using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>
/// A web server on a free loopback port that answers every request with one fixed status and body: for answers the
/// real server cannot be made to give on demand (A000104 needs the database connection to drop during COMMIT), or
/// that are not Rekey's at all. The tool is pointed at it with <c>REKEY_URL</c>.
/// </summary>
public sealed class StubServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubServer(WebApplication app, Uri baseAddress, ConcurrentQueue<string> paths)
    {
        _app = app;
        BaseAddress = baseAddress;
        Paths = paths;
    }

    public Uri BaseAddress { get; }

    /// <summary>The request paths received, in order.</summary>
    public IReadOnlyCollection<string> Paths { get; }

    /// <param name="status">The status of every answer.</param>
    /// <param name="body">The body of every answer.</param>
    /// <param name="contentType">Its content type.</param>
    /// <param name="certificate">With a certificate, the stub listens on https.</param>
    public static async Task<StubServer> StartAsync(int status, string body, string contentType = "application/json; charset=utf-8",
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var paths = new ConcurrentQueue<string>();
        app.Run(async http =>
        {
            paths.Enqueue(http.Request.Path.Value ?? "");
            http.Response.StatusCode = status;
            http.Response.ContentType = contentType;
            await http.Response.WriteAsync(body);
        });
        await app.StartAsync();
        return new StubServer(app, new Uri(app.Urls.Single()), paths);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
