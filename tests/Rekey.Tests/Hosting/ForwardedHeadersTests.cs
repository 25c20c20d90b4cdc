using System.Net;
using System.Text.Json.Nodes;

namespace Rekey.Tests.Hosting;

/// <summary>
/// Behind a proxy listed in <c>Rekey:ForwardedHeaders</c>, the audit trail records the client's address and the issuer
/// is the public origin; from anyone else, the same headers change nothing. Over real HTTP from 127.0.0.1.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private const string ClientAddress = "203.0.113.7";

    [Fact]
    public async Task behind_a_listed_proxy_the_audit_has_the_forwarded_address_and_the_issuer_the_forwarded_origin()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, new Dictionary<string, string?> { ["Rekey:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" });

        var (remoteAddress, issuer, serviceId) = await CreateServiceThroughProxyAsync(host);

        Assert.Equal(ClientAddress, remoteAddress);
        Assert.Equal($"https://rekey.example.com/oauth2/{serviceId}", issuer);
    }

    [Fact]
    public async Task a_listed_network_is_trusted_like_a_listed_proxy()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, new Dictionary<string, string?> { ["Rekey:ForwardedHeaders:KnownNetworks:0"] = "127.0.0.0/8" });

        var (remoteAddress, issuer, serviceId) = await CreateServiceThroughProxyAsync(host);

        Assert.Equal(ClientAddress, remoteAddress);
        Assert.Equal($"https://rekey.example.com/oauth2/{serviceId}", issuer);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("10.0.0.1")]
    public async Task without_the_option_or_from_an_unlisted_proxy_the_headers_change_nothing(string? knownProxy)
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, knownProxy is null ? null : new Dictionary<string, string?> { ["Rekey:ForwardedHeaders:KnownProxies:0"] = knownProxy });

        var (remoteAddress, issuer, serviceId) = await CreateServiceThroughProxyAsync(host);

        Assert.Equal("127.0.0.1", remoteAddress);
        Assert.Equal($"http://127.0.0.1:{host.BaseAddress.Port}/oauth2/{serviceId}", issuer);
    }

    [Fact]
    public async Task public_base_url_still_wins_over_the_forwarded_origin()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, new Dictionary<string, string?>
        {
            ["Rekey:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1",
            ["Rekey:PublicBaseUrl"] = "https://auth.example.org",
        });

        var (_, issuer, serviceId) = await CreateServiceThroughProxyAsync(host);

        Assert.Equal($"https://auth.example.org/oauth2/{serviceId}", issuer);
    }

    /// <summary>
    /// Creates a service and reads its metadata with the headers a TLS-terminating proxy adds, and returns the address the
    /// audit event of the creation recorded and the issuer in the metadata.
    /// </summary>
    private static async Task<(string? RemoteAddress, string? Issuer, long ServiceId)> CreateServiceThroughProxyAsync(RekeyHost host)
    {
        using var proxied = host.CreateAdminClient();
        proxied.DefaultRequestHeaders.Add("X-Forwarded-For", ClientAddress);
        proxied.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        proxied.DefaultRequestHeaders.Add("X-Forwarded-Host", "rekey.example.com");
        var serviceId = await proxied.CreateServiceAsync();
        var (metadataStatus, metadata) = await proxied.GetForJsonAsync($"/.well-known/oauth-authorization-server/oauth2/{serviceId}");
        Assert.Equal(HttpStatusCode.OK, metadataStatus);

        using var admin = host.CreateAdminClient();
        var (auditStatus, audit) = await admin.GetForJsonAsync($"/api/{serviceId}/audit/get/list?action=service.create");
        Assert.Equal(HttpStatusCode.OK, auditStatus);
        var created = Assert.Single(audit["events"] as JsonArray ?? []);
        return (created?["remoteAddress"]?.GetValue<string>(), metadata["issuer"]?.GetValue<string>(), serviceId);
    }
}
