using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Rekey.Server.Storage;

namespace Rekey.Tests.Hosting;

/// <summary>
/// A request that fails gets one answer with a result code and one log line, at the level that says who must act:
/// an outage is a warning without a stack trace, a bug an error with it, a request the HTTP server could not read
/// (anyone can send one, without a token) stays below warning.
/// </summary>
public sealed class RequestFailureTests : IAsyncLifetime
{
    private const long OutageServiceId = 111_111;
    private const long BugServiceId = 222_222;

    private RekeyHost? _host;

    private RekeyHost Host => _host ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _host = await RekeyHost.StartAsync(new SqliteTestStore(), new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Rekey.Server.Hosting"] = "Debug",
    }, services =>
    {
        FaultyStore.Install(services, Fault);
        // A body must arrive at 100 bytes a second once 1.5 s have passed; the test trickles 4.
        services.Configure<KestrelServerOptions>(k => k.Limits.MinRequestBodyDataRate = new MinDataRate(100, TimeSpan.FromSeconds(1.5)));
    });

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
            await _host.Store.DisposeAsync();
        }
    }

    private static Exception? Fault(MethodInfo method, object?[] args) => (method.Name, args.FirstOrDefault()) switch
    {
        (nameof(IRekeyStore.GetServiceAsync), OutageServiceId) => new StoreUnavailableException("SQLite is unavailable (error 14).", new IOException("disk gone")),
        (nameof(IRekeyStore.GetServiceAsync), BugServiceId) => new InvalidOperationException("a bug in one request"),
        _ => null,
    };

    [Fact]
    // The first failure of an outage: StoreOutageLogTests follows an outage through to its end.
    public async Task a_store_outage_answers_503_A000102_and_logs_one_warning_line_without_a_stack_trace()
    {
        var logged = await LoggedDuringAsync(async () =>
        {
            var (status, body) = await Host.CreateAdminClient().GetForJsonAsync($"/api/{OutageServiceId}/service/get");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("A000102", body["resultCode"]?.GetValue<string>());
        });

        var line = Assert.Single(logged, AtWarningOrAbove);
        Assert.StartsWith("Warning Rekey.Server.Hosting.StoreAvailability [7] Store unavailable for request ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_unexpected_exception_answers_500_A000101_and_is_logged_once_as_an_error_with_its_stack_trace()
    {
        var logged = await LoggedDuringAsync(async () =>
        {
            var (status, body) = await Host.CreateAdminClient().GetForJsonAsync($"/api/{BugServiceId}/service/get");
            Assert.Equal(HttpStatusCode.InternalServerError, status);
            Assert.Equal("A000101", body["resultCode"]?.GetValue<string>());
            Assert.DoesNotContain("a bug in one request", body.ToJsonString(), StringComparison.Ordinal);
        });

        var line = Assert.Single(logged, AtWarningOrAbove);
        Assert.StartsWith("Error Rekey.Server.Hosting.UnhandledErrors [6] Unhandled error for request ", line, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: a bug in one request", line, StringComparison.Ordinal);
        Assert.Contains("   at ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_request_body_that_arrives_too_slowly_answers_408_A000219_and_logs_below_warning()
    {
        string api = "", oauth = "";
        var serviceId = await Host.CreateAdminClient().CreateServiceAsync();
        var logged = await LoggedDuringAsync(async () =>
        {
            api = await RawHttp.SendSlowlyAsync(Host.BaseAddress, "POST /api/service/create HTTP/1.1\r\nHost: rekey\r\n" +
                $"Authorization: Bearer {RekeyHost.AdminToken}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{");
            // The token endpoint reads its form before it knows who calls: no credentials needed to get here.
            oauth = await RawHttp.SendSlowlyAsync(Host.BaseAddress, $"POST /oauth2/{serviceId}/token HTTP/1.1\r\nHost: rekey\r\n" +
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=");
        });

        Assert.Equal(408, RawHttp.Status(api));
        Assert.Contains("\"resultCode\":\"A000219\"", api, StringComparison.Ordinal);
        Assert.Equal(408, RawHttp.Status(oauth));
        Assert.Contains("\"error\":\"invalid_request\"", oauth, StringComparison.Ordinal);
        Assert.Contains("[A000219]", oauth, StringComparison.Ordinal);
        Assert.DoesNotContain(logged, AtWarningOrAbove);
        Assert.Equal(2, logged.Count(l => l.StartsWith("Debug Rekey.Server.Hosting.UnhandledErrors [41] ", StringComparison.Ordinal) && l.Contains(" refused with 408", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task a_request_body_the_http_server_cannot_read_answers_400_A000220_and_logs_below_warning()
    {
        string answer = "";
        var logged = await LoggedDuringAsync(async () => answer = await RawHttp.SendAsync(Host.BaseAddress,
            $"POST /api/service/create HTTP/1.1\r\nHost: rekey\r\nAuthorization: Bearer {RekeyHost.AdminToken}\r\nContent-Type: application/json\r\n" +
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"));

        Assert.Equal(400, RawHttp.Status(answer));
        Assert.Contains("\"resultCode\":\"A000220\"", answer, StringComparison.Ordinal);
        Assert.Contains("Bad chunk size data", answer, StringComparison.Ordinal);
        Assert.DoesNotContain(logged, AtWarningOrAbove);
        Assert.Equal(0, (await Host.CreateAdminClient().GetForJsonAsync("/api/service/get/list")).Body["totalCount"]?.GetValue<long>());
    }

    private static bool AtWarningOrAbove(string line) =>
        line.StartsWith("Warning ", StringComparison.Ordinal) || line.StartsWith("Error ", StringComparison.Ordinal) || line.StartsWith("Critical ", StringComparison.Ordinal);

    /// <summary>The log lines written while <paramref name="action"/> ran (the server logs before it answers).</summary>
    private async Task<List<string>> LoggedDuringAsync(Func<Task> action)
    {
        var before = Host.Logs.Lines.Count;
        await action();
        return [.. Host.Logs.Lines.Skip(before)];
    }
}
