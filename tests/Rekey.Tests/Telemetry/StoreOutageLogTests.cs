using System.Net;
using System.Reflection;
using Rekey.Server.Hosting;
using Rekey.Server.Storage;
using Rekey.Tests.Hosting;

namespace Rekey.Tests.Telemetry;

/// <summary>
/// A store outage is two log lines, not one per request: a warning when the first request fails (event 7), one
/// information line when the store answers again (event 71); the requests in between only at debug (event 70).
/// </summary>
public sealed class StoreOutageLogTests
{
    private volatile bool _down;

    private Exception? Fault(MethodInfo method, object?[] args) => _down && method.Name is nameof(IRekeyStore.GetServiceAsync) or nameof(IRekeyStore.PingAsync)
        ? new StoreUnavailableException("SQLite is unavailable (error 14).", new IOException("disk gone"))
        : null;

    [Fact]
    public async Task five_failing_requests_log_one_warning_and_the_recovery_one_information_line()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, new Dictionary<string, string?> { ["Logging:LogLevel:Rekey.Server.Hosting"] = "Debug" },
            services => FaultyStore.Install(services, Fault));
        host.GetService<StoreAvailability>().ProbeInterval = TimeSpan.FromMilliseconds(100);
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();

        _down = true;
        for (var i = 0; i < 5; i++)
        {
            var (status, body) = await admin.GetForJsonAsync($"/api/{serviceId}/service/get");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("A000102", body["resultCode"]?.GetValue<string>());
        }

        Assert.Single(Lines(host, "Warning", 7));
        Assert.Equal(4, Lines(host, "Debug", 70).Count);
        Assert.True(host.GetService<StoreAvailability>().IsDown);

        _down = false;
        await Waits.UntilAsync(() => Lines(host, "Information", 71).Count == 1, "the recovery line");
        Assert.Contains("5 requests failed meanwhile", Lines(host, "Information", 71)[0], StringComparison.Ordinal);
        Assert.Single(Lines(host, "Warning", 7));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetForJsonAsync($"/api/{serviceId}/service/get")).Status);

        // The next outage is a new transition: its own warning.
        _down = true;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await admin.GetForJsonAsync($"/api/{serviceId}/service/get")).Status);
        Assert.Equal(2, Lines(host, "Warning", 7).Count);
        Assert.DoesNotContain(host.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && !l.Contains("[7]", StringComparison.Ordinal)
            && l.Contains("UnhandledErrors", StringComparison.Ordinal));
    }

    private static List<string> Lines(RekeyHost host, string level, int eventId) =>
        host.Logs.Lines.Where(l => l.StartsWith($"{level} Rekey.Server.Hosting.StoreAvailability [{eventId}] ", StringComparison.Ordinal)).ToList();
}
