namespace Rekey.Tests.Hosting;

/// <summary>A query string can carry a secret (<c>?client_secret=…</c>): it never reaches the log, whatever the configuration says.</summary>
public sealed class QueryLoggingTests
{
    private const string Marker = "qs-secret-7d0c4b";

    [Fact]
    public async Task query_strings_reach_no_log_line_even_with_every_category_and_provider_configured_to_trace()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel.BadRequests"] = "Trace",
            ["Logging:Rekey.Testing.LogSink:LogLevel:Default"] = "Trace",
            ["Logging:Rekey.Testing.LogSink:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
        });
        using var admin = host.CreateAdminClient();

        await admin.GetAsync(new Uri($"/api/service/get/list?client_secret={Marker}", UriKind.Relative));
        await admin.GetAsync(new Uri($"/oauth2/1/token?client_secret={Marker}", UriKind.Relative));
        await admin.GetAsync(new Uri($"/nowhere?client_secret={Marker}", UriKind.Relative));
        // A request target Kestrel refuses: with details enabled, its log line would quote it.
        var refused = await RawHttp.SendAsync(host.BaseAddress, $"GET x?client_secret={Marker} HTTP/1.1\r\nHost: rekey\r\nConnection: close\r\n\r\n");

        Assert.Equal(400, RawHttp.Status(refused));
        // The configuration took effect: the framework's debug lines are there.
        Assert.Contains(host.Logs.Lines, l => l.StartsWith("Debug Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Lines, l => l.StartsWith("Debug Microsoft.AspNetCore.Routing", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(Marker, StringComparison.Ordinal));
    }
}
