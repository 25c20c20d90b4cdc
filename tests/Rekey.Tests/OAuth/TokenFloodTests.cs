using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rekey.Contracts;
using Rekey.Server.OAuth;

namespace Rekey.Tests.OAuth;

/// <summary>
/// The token endpoints under unauthenticated floods: the failure limiter's memory stays within its fixed table,
/// identifiers that cannot name a client are refused before the limiter, the lookup and the log, a client_id cannot
/// forge a log line, and Authlete's /auth/token spends the same per-client budget. One server of its own (SQLite,
/// a held clock), so that its log and its limiter see only these tests, which run one after another.
/// </summary>
public sealed class TokenFloodTests(SqliteOAuthServerFixture fixture) : IClassFixture<SqliteOAuthServerFixture>
{
    /// <summary>Longer than any line a refusal may write; a refusal that logged a whole 60,000-character identifier would be far longer.</summary>
    private const int MaxLineLength = 300;

    private RekeyHost Host => fixture.Host;

    private FakeTimeProvider Time => fixture.Time;

    private FailedAuthLimiter Limiter => Host.GetService<FailedAuthLimiter>();

    private HttpClient Admin { get; } = fixture.Host.CreateAdminClient();

    /// <summary>Moves the clock past the window, so that what earlier tests counted has expired.</summary>
    private void ForgetFailures() => Time.Advance(FailedAuthLimiter.Window + TimeSpan.FromSeconds(1));

    private List<string> LinesSince(int count) => [.. Host.Logs.Lines.Skip(count)];

    [Fact]
    public async Task a_flood_of_unique_possible_identifiers_keeps_the_limiter_within_its_fixed_capacity_and_each_log_line_short()
    {
        var sid = await Admin.CreateServiceAsync();
        ForgetFailures();
        var linesBefore = Host.Logs.Lines.Count;
        const int requests = 20_000;
        Assert.True(Limiter.Capacity < requests, $"the flood must outnumber the table ({Limiter.Capacity} entries)");

        // Valid aliases of the longest kind: each could name a client, so each is looked up and counted.
        await FloodAsync(Host, sid, requests, i => "flood-" + i.ToString("D6", CultureInfo.InvariantCulture) + new string('x', 116));

        Assert.InRange(Limiter.CountEntries(), 1, Limiter.Capacity);
        var lines = LinesSince(linesBefore);
        Assert.InRange(lines.Count, requests, requests + 10);
        Assert.All(lines, line => Assert.True(line.Length <= MaxLineLength, $"{line.Length} characters: {line[..120]}"));
        var refusals = lines.Where(l => l.Contains("Client authentication refused", StringComparison.Ordinal)).ToList();
        Assert.Equal(requests, refusals.Count);
        Assert.All(refusals, line => Assert.Contains("…(128 chars)", line, StringComparison.Ordinal));

        // Entries expire by age, not only when the table fills.
        ForgetFailures();
        Assert.Equal(0, Limiter.CountEntries());
    }

    [Fact]
    public async Task identifiers_longer_than_any_alias_are_refused_like_unknown_clients_never_counted_and_never_logged()
    {
        var sid = await Admin.CreateServiceAsync();
        ForgetFailures();
        using var anonymous = Host.CreateClient();
        var unknown = await PostTokenAsync(anonymous, sid, "no-such-client");
        var entriesBefore = Limiter.CountEntries();
        var linesBefore = Host.Logs.Lines.Count;
        var repeated = new string('a', 60_000);

        // The same impossible identifier 20 times (a counted one would be blocked after 10), then 200 different ones.
        for (var i = 0; i < 20; i++)
        {
            var reply = await PostTokenAsync(anonymous, sid, repeated);
            Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
            Assert.Equal(unknown.Text, reply.Text);
        }

        await FloodAsync(Host, sid, 200, i => i.ToString("D6", CultureInfo.InvariantCulture) + new string('a', 59_994));
        var introspection = await SendAsync(anonymous, HttpMethod.Post, $"/oauth2/{sid}/introspect",
            Wire.Form(("token", "x"), ("client_id", repeated), ("client_secret", "guess")));
        Assert.Equal(HttpStatusCode.Unauthorized, introspection.Status);
        for (var i = 0; i < 12; i++)
        {
            var envelope = await AuthTokenAsync(Admin, sid, repeated, "guess");
            Assert.Equal(ResultCodes.TokenInvalidClient.Code, envelope["resultCode"]?.GetValue<string>());
            Assert.Equal("INVALID_CLIENT", envelope["action"]?.GetValue<string>());
        }

        Assert.Equal(entriesBefore, Limiter.CountEntries());
        var lines = LinesSince(linesBefore);
        Assert.All(lines, line => Assert.True(line.Length <= MaxLineLength, $"{line.Length} characters: {line[..120]}"));
        Assert.DoesNotContain(lines, line => line.Contains(new string('a', 32), StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_client_id_with_a_line_break_cannot_forge_a_log_line()
    {
        var sid = await Admin.CreateServiceAsync();
        using var anonymous = Host.CreateClient();
        const string forged = "batch-job\n warn: Rekey.Server.Hosting.AdminToken[1]\r\n      Admin token replaced";
        var linesBefore = Host.Logs.Lines.Count;

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostTokenAsync(anonymous, sid, forged)).Status);
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(forged) + ":guess")));
        var viaBasic = await SendAsync(anonymous, HttpMethod.Post, $"/oauth2/{sid}/token", Wire.Form(("grant_type", "client_credentials")), basic);
        Assert.Equal(HttpStatusCode.Unauthorized, viaBasic.Status);
        Assert.Equal("INVALID_CLIENT", (await AuthTokenAsync(Admin, sid, forged, "guess"))["action"]?.GetValue<string>());

        var lines = LinesSince(linesBefore);
        Assert.Contains(lines, line => line.Contains("Client authentication refused", StringComparison.Ordinal));
        Assert.All(lines, line => Assert.False(line.Contains('\n', StringComparison.Ordinal) || line.Contains('\r', StringComparison.Ordinal), line));
        Assert.DoesNotContain(lines, line => line.Contains("warn:", StringComparison.Ordinal) || line.Contains("Admin token replaced", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_blocked_client_stays_blocked_through_a_flood_of_other_identifiers_that_overflows_the_table()
    {
        // A table of 64 entries (16 sets of 4) and a flood 30 times its size: every set is refilled many times over.
        var time = new FakeTimeProvider(Time.GetUtcNow());
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, services: services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddSingleton(new FailedAuthLimiter(time, capacity: 64));
        });
        var limiter = host.GetService<FailedAuthLimiter>();
        using var admin = host.CreateAdminClient();
        using var anonymous = host.CreateClient();
        var sid = await admin.CreateServiceAsync();
        var client = await admin.CreateClientAsync(sid, """{"clientName":"victim","grantTypes":["CLIENT_CREDENTIALS"],"tokenAuthMethod":"CLIENT_SECRET_POST"}""");
        var (id, secret) = (client.Id, client.Secret);
        for (var i = 0; i < FailedAuthLimiter.MaxFailures; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await PostTokenAsync(anonymous, sid, id, "guess")).Status);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostTokenAsync(anonymous, sid, id, secret)).Status);

        Assert.Equal(64, limiter.Capacity);
        await FloodAsync(host, sid, 30 * limiter.Capacity, i => "other-" + i.ToString(CultureInfo.InvariantCulture));

        Assert.InRange(limiter.CountEntries(), 1, limiter.Capacity);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostTokenAsync(anonymous, sid, id, secret)).Status);
        time.Advance(FailedAuthLimiter.Window);
        Assert.Equal(HttpStatusCode.OK, (await PostTokenAsync(anonymous, sid, id, secret)).Status);
    }

    [Fact]
    public async Task the_eleventh_wrong_secret_at_auth_token_within_a_minute_is_refused_in_the_envelope_even_with_the_right_secret()
    {
        var sid = await Admin.CreateServiceAsync();
        ForgetFailures();
        var client = await Admin.CreateClientAsync(sid, """{"clientName":"relayed","clientIdAlias":"relayed-client","grantTypes":["CLIENT_CREDENTIALS"]}""");
        var (id, secret) = (client.Id, client.Secret);
        var (_, readOnly) = await Admin.CreateApiTokenAsync(sid, Permissions.ClientRead);
        var (_, otherServer) = await Admin.CreateApiTokenAsync(sid, Permissions.ClientRead);
        using var guesser = Host.CreateClient(readOnly);
        using var other = Host.CreateClient(otherServer);

        // Guesses by alias and by ID spend one budget.
        for (var i = 0; i < FailedAuthLimiter.MaxFailures; i++)
        {
            var refused = await AuthTokenAsync(guesser, sid, i % 2 == 0 ? id : "relayed-client", "guess-" + i.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(ResultCodes.TokenInvalidClient.Code, refused["resultCode"]?.GetValue<string>());
        }

        var blocked = await AuthTokenAsync(guesser, sid, id, secret);
        Assert.Equal(ResultCodes.TokenTooManyFailuresEnvelope.Code, blocked["resultCode"]?.GetValue<string>());
        Assert.Equal(ResultCodes.TokenTooManyFailuresEnvelope.Format(60), blocked["resultMessage"]?.GetValue<string>());
        Assert.Equal("INVALID_CLIENT", blocked["action"]?.GetValue<string>());
        Assert.Null(blocked["accessToken"]);
        var relayed = JsonNode.Parse(blocked["responseContent"]!.GetValue<string>())!.AsObject();
        Assert.Equal("invalid_client", relayed["error"]?.GetValue<string>());
        Assert.Equal("Too many failed client authentications; retry after 60 seconds.", relayed["error_description"]?.GetValue<string>());
        Assert.Equal(ResultCodes.TokenTooManyFailuresEnvelope.Code,
            (await AuthTokenAsync(guesser, sid, "relayed-client", secret))["resultCode"]?.GetValue<string>());

        // The budget belongs to the calling API token: another authorization server, and the client itself at the
        // standard endpoint, are not blocked.
        Assert.Equal("OK", (await AuthTokenAsync(other, sid, id, secret))["action"]?.GetValue<string>());
        using var anonymous = Host.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(anonymous, HttpMethod.Post, $"/oauth2/{sid}/token",
            Wire.Form(("grant_type", "client_credentials")), new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(id + ":" + secret))))).Status);

        Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(ResultCodes.TokenTooManyFailuresEnvelope.Format(1), (await AuthTokenAsync(guesser, sid, id, secret))["resultMessage"]?.GetValue<string>());
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("OK", (await AuthTokenAsync(guesser, sid, id, secret))["action"]?.GetValue<string>());
    }

    private sealed record Reply(HttpStatusCode Status, string Text);

    private static async Task<Reply> SendAsync(HttpClient http, HttpMethod method, string path, HttpContent content, AuthenticationHeaderValue? authorization = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = authorization;
        using var response = await http.SendAsync(request);
        return new Reply(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>client_secret_post: the identifier in the body, where it may be up to the body limit (64 KiB) long.</summary>
    private static Task<Reply> PostTokenAsync(HttpClient http, long sid, string clientId, string secret = "guess") =>
        SendAsync(http, HttpMethod.Post, $"/oauth2/{sid}/token", Wire.Form(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret)));

    private static async Task<JsonObject> AuthTokenAsync(HttpClient caller, long sid, string clientId, string secret)
    {
        var request = new JsonObject { ["parameters"] = "grant_type=client_credentials", ["clientId"] = clientId, ["clientSecret"] = secret };
        var (status, body) = await caller.PostForJsonAsync($"/api/{sid}/auth/token", Wire.Json(request.ToJsonString()));
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        return body;
    }

    /// <summary><paramref name="count"/> wrong-secret requests, 8 at a time, each naming <paramref name="identifier"/>(i); all must be 401.</summary>
    private static async Task FloodAsync(RekeyHost host, long sid, int count, Func<int, string> identifier)
    {
        using var http = host.CreateClient();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var reply = await PostTokenAsync(http, sid, identifier(i));
            Assert.True(reply.Status == HttpStatusCode.Unauthorized, $"{(int)reply.Status} {reply.Text}");
        });
    }
}
