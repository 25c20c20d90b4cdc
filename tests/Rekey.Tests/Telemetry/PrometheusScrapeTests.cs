using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace Rekey.Tests.Telemetry;

/// <summary>
/// With <c>Rekey:Telemetry:Prometheus:Enabled</c>, <c>/metrics</c> on the main port shows Rekey's instruments moving:
/// a token request, a secret update and a refused login each move what they should, and no secret reaches the page.
/// </summary>
public sealed partial class PrometheusScrapeTests
{
    public static readonly IReadOnlyDictionary<string, string?> Enabled = new Dictionary<string, string?> { ["Rekey:Telemetry:Prometheus:Enabled"] = "true" };

    [Fact]
    public async Task metrics_is_not_served_unless_prometheus_is_enabled()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store);
        var response = await host.CreateClient().GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task a_scrape_after_a_token_request_a_secret_update_and_a_refused_login_finds_each_instrument_moving()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, Enabled);
        var admin = host.CreateAdminClient();
        var client = await admin.CreateClientAsync(await admin.CreateServiceAsync(), """{"clientName":"metrics","grantTypes":["CLIENT_CREDENTIALS"]}""");
        var before = await ScrapeAsync(host);

        var issued = await TokenAsync(host, client, client.Secret);
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var newSecret = TestApi.NewSecret();
        await admin.UpdateSecretAsync(client.ServiceId, client.ClientId, newSecret);
        var refused = await TokenAsync(host, client, "wrong-" + TestApi.NewSecret(20));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var after = await ScrapeAsync(host);
        Assert.True(Moved(before, after, "rekey_token_requests", ("rekey_outcome", "issued"), ("rekey_auth_method", "client_secret_basic")) >= 1, after);
        Assert.True(Moved(before, after, "rekey_token_requests", ("rekey_outcome", "invalid_client"), ("rekey_auth_method", "client_secret_basic")) >= 1, after);
        Assert.True(Moved(before, after, "rekey_auth_failures", ("rekey_auth_method", "client_secret_basic")) >= 1, after);
        Assert.True(Moved(before, after, "rekey_changes", ("rekey_action", "client.secret.update"), ("rekey_outcome", "success")) >= 1, after);
        Assert.True(Moved(before, after, "rekey_store_unit_duration_seconds_count", ("rekey_store_operation", "RotateSecretAsync"), ("rekey_store_engine", "sqlite")) >= 1, after);
        Assert.True(Moved(before, after, "rekey_store_commit_duration_seconds_count", ("rekey_store_engine", "sqlite")) >= 1, after);
        Assert.True(Moved(before, after, "rekey_sqlite_write_batch_size_count") >= 1, after);
        Assert.DoesNotContain(client.Secret, after, StringComparison.Ordinal);
        Assert.DoesNotContain(newSecret, after, StringComparison.Ordinal);
        Assert.DoesNotContain(client.Id, after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task the_limiter_refusals_move_once_a_client_is_blocked()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, Enabled);
        var admin = host.CreateAdminClient();
        var client = await admin.CreateClientAsync(await admin.CreateServiceAsync(), """{"clientName":"metrics","grantTypes":["CLIENT_CREDENTIALS"]}""");
        var before = await ScrapeAsync(host);
        HttpStatusCode last = default;
        for (var i = 0; i <= Rekey.Server.OAuth.FailedAuthLimiter.MaxFailures && last != HttpStatusCode.TooManyRequests; i++)
        {
            last = (await TokenAsync(host, client, "wrong")).StatusCode;
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, last);
        Assert.True(Moved(before, await ScrapeAsync(host), "rekey_auth_limiter_refusals") >= 1);
    }

    internal static async Task<string> ScrapeAsync(RekeyHost host)
    {
        var response = await host.CreateClient().GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static Task<HttpResponseMessage> TokenAsync(RekeyHost host, TestClient client, string secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/oauth2/{client.ServiceId}/token")
        {
            Content = Wire.Form(("grant_type", "client_credentials")),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(client.Id + ":" + secret)));
        return host.CreateClient().SendAsync(request);
    }

    private static double Moved(string before, string after, string metric, params (string Name, string Value)[] labels) =>
        Sum(after, metric, labels) - Sum(before, metric, labels);

    /// <summary>The sum of the samples of <paramref name="metric"/> (or <c>metric_total</c>) whose labels include <paramref name="labels"/>.</summary>
    private static double Sum(string exposition, string metric, (string Name, string Value)[] labels)
    {
        var sum = 0.0;
        foreach (Match m in Sample().Matches(exposition))
        {
            var name = m.Groups["name"].Value;
            if (name != metric && name != metric + "_total")
            {
                continue;
            }

            var present = m.Groups["labels"].Value;
            if (labels.All(l => present.Contains($"{l.Name}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                sum += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
