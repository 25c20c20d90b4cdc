using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Rekey.Cli;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>
/// <c>rekey webhook …</c> against a real server that may deliver to loopback, and <c>rekey webhook listen</c> as a
/// receiver: of deliveries the test signs itself (Standard Webhooks, by hand) and of the server's own.
/// </summary>
public sealed class CliWebhookTests(WebhookServerFixture fixture) : IClassFixture<WebhookServerFixture>, IAsyncLifetime, IDisposable
{
    private static readonly string[] WebhookColumns = ["WEBHOOK ID", "URL", "EVENTS", "ENABLED", "FAILING SINCE", "DESCRIPTION"];
    private static readonly string[] DeliveryColumns = ["EVENT ID", "TYPE", "STATUS", "ATTEMPTS", "CREATED", "LAST ATTEMPT", "HTTP", "NEXT ATTEMPT", "ERROR"];

    private readonly HttpClient _http = new();
    private WebhookReceiver _receiver = null!;

    private RekeyHost Host => fixture.Host;

    private HttpClient Admin => field ??= Host.CreateAdminClient();

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    public void Dispose()
    {
        _http.Dispose();
        Admin.Dispose();
    }

    private Dictionary<string, string?> Env(long serviceId) => new()
    {
        ["REKEY_URL"] = Host.BaseAddress.ToString(),
        ["REKEY_TOKEN"] = RekeyHost.AdminToken,
        ["REKEY_SERVICE"] = serviceId.ToString(CultureInfo.InvariantCulture),
    };

    private Task<CliRun> RekeyAsync(long serviceId, params string[] args) => CliTestBase.RunAsync(Env(serviceId), null, args);

    private static void AssertSuccess(CliRun run) => Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());

    /// <summary>A webhook created with the CLI; its ID and signing secret from the output.</summary>
    private async Task<(long WebhookId, string Secret, CliRun Run)> CreateAsync(long serviceId, string url, params string[] more)
    {
        var run = await RekeyAsync(serviceId, ["webhook", "create", "--endpoint", url, .. more]);
        AssertSuccess(run);
        return (long.Parse(run.Field("webhookId") ?? "", CultureInfo.InvariantCulture), run.Field("secret") ?? "", run);
    }

    [Fact]
    public async Task create_prints_the_signing_secret_once_and_says_so_and_get_list_never_show_it()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var url = $"{_receiver.Url}/{serviceId}";

        var (webhookId, secret, created) = await CreateAsync(serviceId, url, "--events", "client.locked,client.unlocked", "--description", "ops pager");

        Assert.Matches("^whsec_[A-Za-z0-9+/]{43}=$", secret);
        Assert.Contains("shown this once", created.Err, StringComparison.Ordinal);
        Assert.Equal(url, created.Field("url"));
        Assert.Equal("client.locked, client.unlocked", created.Field("events"));
        Assert.Equal("yes", created.Field("enabled"));

        var got = await RekeyAsync(serviceId, "webhook", "get", $"{webhookId}");
        AssertSuccess(got);
        Assert.Equal("ops pager", got.Field("description"));
        Assert.Null(got.Field("secret"));
        Assert.DoesNotContain(secret, got.Out, StringComparison.Ordinal);

        var table = await RekeyAsync(serviceId, "webhook", "list");
        AssertSuccess(table);
        var row = Assert.Single(table.Table(WebhookColumns));
        Assert.Equal($"{webhookId}", row["WEBHOOK ID"]);
        Assert.Equal(url, row["URL"]);
        Assert.Equal("client.locked,client.unlocked", row["EVENTS"]);
        Assert.Equal("yes", row["ENABLED"]);
        Assert.Equal("ops pager", row["DESCRIPTION"]);
        Assert.Contains("1 of 1 webhooks (start 0, end 5)", table.Out, StringComparison.Ordinal);

        var json = await RekeyAsync(serviceId, "webhook", "list", "-o", "json");
        AssertSuccess(json);
        var listed = json.Json(RekeyJsonContext.Default.WebhookListResponse);
        Assert.Equal(webhookId, Assert.Single(listed.Webhooks).WebhookId);
        Assert.Null(listed.Webhooks[0].Secret);
        Assert.DoesNotContain(secret, json.Out + table.Out, StringComparison.Ordinal);

        var yaml = await RekeyAsync(serviceId, "webhook", "get", $"{webhookId}", "-o", "yaml");
        AssertSuccess(yaml);
        Assert.Contains($"\"url\": \"{url}\"", yaml.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task create_with_json_output_prints_the_servers_body_with_the_secret_and_no_note()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var run = await RekeyAsync(serviceId, "webhook", "create", "--endpoint", _receiver.Url.ToString(), "--disabled", "--json");

        AssertSuccess(run);
        Assert.Equal("", run.Err);
        var created = run.Json(RekeyJsonContext.Default.WebhookInfo);
        Assert.StartsWith("whsec_", created.Secret, StringComparison.Ordinal);
        Assert.False(created.Enabled);
        Assert.Empty(created.Events);
    }

    [Fact]
    public async Task endpoint_is_the_webhooks_url_and_url_stays_the_servers_wherever_it_is_given()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var env = Env(serviceId);
        env["REKEY_URL"] = $"http://127.0.0.1:{Ports.Unused()}/";   // nothing there: only --url reaches the server
        var hook = $"{_receiver.Url}/{serviceId}";

        var run = await CliTestBase.RunAsync(env, null, "--url", Host.BaseAddress.ToString(), "webhook", "create", "--endpoint", hook);

        AssertSuccess(run);
        Assert.Equal(hook, run.Field("url"));
        var after = await CliTestBase.RunAsync(env, null, "webhook", "create", "--endpoint", hook, "--url", Host.BaseAddress.ToString());
        AssertSuccess(after);
        Assert.Equal(hook, after.Field("url"));
        Assert.Equal(2, (await Admin.GetForReplyAsync($"/api/{serviceId}/webhook/get/list")).Int("totalCount"));
    }

    [Fact]
    public async Task update_changes_what_is_given_and_keeps_the_rest()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var (webhookId, _, _) = await CreateAsync(serviceId, _receiver.Url.ToString(), "--events", "client.locked", "--description", "ops");

        var disabled = await RekeyAsync(serviceId, "webhook", "update", $"{webhookId}", "--disable");
        AssertSuccess(disabled);
        Assert.Equal("no", disabled.Field("enabled"));
        Assert.Equal("ops", disabled.Field("description"));
        Assert.Equal("client.locked", disabled.Field("events"));

        var changed = await RekeyAsync(serviceId, "webhook", "update", $"{webhookId}", "--enable", "--events", "", "--description", "");
        AssertSuccess(changed);
        Assert.Equal("yes", changed.Field("enabled"));
        Assert.Equal("(all)", changed.Field("events"));
        Assert.Null(changed.Field("description"));
        Assert.Equal(_receiver.Url.ToString(), changed.Field("url"));
    }

    [Theory]
    [InlineData("--enable --disable")]
    [InlineData("")]
    public async Task an_update_that_says_nothing_or_contradicts_itself_is_a_usage_error_and_sends_nothing(string options)
    {
        var serviceId = await Admin.CreateServiceAsync();
        var (webhookId, _, _) = await CreateAsync(serviceId, _receiver.Url.ToString(), "--description", "ops");
        var before = (await RekeyAsync(serviceId, "webhook", "get", $"{webhookId}")).Field("modifiedAt");

        var run = await RekeyAsync(serviceId, ["webhook", "update", $"{webhookId}", .. options.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("error: usage ", run.Err, StringComparison.Ordinal);
        Assert.Equal("", run.Out);
        Assert.Equal(before, (await RekeyAsync(serviceId, "webhook", "get", $"{webhookId}")).Field("modifiedAt"));
    }

    [Fact]
    public async Task create_of_a_url_the_server_will_not_call_is_refused_with_its_code()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var run = await RekeyAsync(serviceId, "webhook", "create", "--endpoint", "ftp://hooks.example.com/rekey");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.StartsWith($"error: {ResultCodes.WebhookInvalidUrl.Code} ", run.Err, StringComparison.Ordinal);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task delete_without_yes_refuses_and_with_yes_deletes()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var (webhookId, _, _) = await CreateAsync(serviceId, _receiver.Url.ToString());

        var refused = await RekeyAsync(serviceId, "webhook", "delete", $"{webhookId}");
        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Contains("pass --yes to confirm", refused.Err, StringComparison.Ordinal);
        AssertSuccess(await RekeyAsync(serviceId, "webhook", "get", $"{webhookId}"));

        var deleted = await RekeyAsync(serviceId, "webhook", "delete", $"{webhookId}", "--yes");
        AssertSuccess(deleted);
        Assert.Equal($"Deleted webhook {webhookId} of service {serviceId}.\n", deleted.Out);

        var gone = await RekeyAsync(serviceId, "webhook", "get", $"{webhookId}");
        Assert.Equal(ExitCodes.Refused, gone.ExitCode);
        Assert.StartsWith($"error: {ResultCodes.WebhookNotFound.Code} ", gone.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task test_then_deliveries_show_it_delivered_and_redeliver_sends_it_again()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var (webhookId, _, _) = await CreateAsync(serviceId, $"{_receiver.Url}/{serviceId}");

        var test = await RekeyAsync(serviceId, "webhook", "test", $"{webhookId}");
        AssertSuccess(test);
        Assert.Equal(ResultCodes.WebhookTestQueued.Code, test.Field("resultCode"));
        Assert.Equal(EventTypes.WebhookTest, test.Field("eventType"));
        var eventId = test.Field("eventId") ?? "";
        Assert.StartsWith("evt_", eventId, StringComparison.Ordinal);

        IReadOnlyDictionary<string, string>? row = null;
        await Waits.UntilAsync(async () =>
        {
            var deliveries = await RekeyAsync(serviceId, "webhook", "deliveries", $"{webhookId}");
            AssertSuccess(deliveries);
            row = deliveries.Table(DeliveryColumns).SingleOrDefault(r => r["EVENT ID"] == eventId);
            return row?["STATUS"] == "succeeded";
        }, "the test delivery to show as succeeded");
        Assert.Equal(EventTypes.WebhookTest, row?["TYPE"]);
        Assert.Equal("200", row?["HTTP"]);
        Assert.Equal("1", row?["ATTEMPTS"]);

        var redelivered = await RekeyAsync(serviceId, "webhook", "redeliver", $"{webhookId}", eventId);
        AssertSuccess(redelivered);
        Assert.Equal(ResultCodes.WebhookRedeliveryQueued.Code, redelivered.Field("resultCode"));
        await _receiver.WaitForAsync(r => r.Id == eventId && _receiver.Received.Count(x => x.Id == eventId) == 2, what: "the redelivery");

        var unknown = await RekeyAsync(serviceId, "webhook", "redeliver", $"{webhookId}", "evt_nothing");
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);
        Assert.StartsWith($"error: {ResultCodes.WebhookDeliveryNotFound.Code} ", unknown.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task rotate_secret_prints_the_new_secret_once_and_the_overlap()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var (webhookId, secret, _) = await CreateAsync(serviceId, _receiver.Url.ToString());

        var rotated = await RekeyAsync(serviceId, "webhook", "rotate-secret", $"{webhookId}", "--grace-period", "1h");

        AssertSuccess(rotated);
        var newSecret = rotated.Field("secret");
        Assert.StartsWith("whsec_", newSecret, StringComparison.Ordinal);
        Assert.NotEqual(secret, newSecret);
        Assert.Contains("shown this once", rotated.Err, StringComparison.Ordinal);
        var until = DateTimeOffset.Parse(rotated.Field("previousSecretValidUntil") ?? "", CultureInfo.InvariantCulture);
        var modified = DateTimeOffset.Parse(rotated.Field("modifiedAt") ?? "", CultureInfo.InvariantCulture);
        Assert.InRange((until - modified).TotalSeconds, 3599, 3601);

        var tooLong = await RekeyAsync(serviceId, "webhook", "rotate-secret", $"{webhookId}", "--grace-period", "8d");
        Assert.Equal(ExitCodes.Refused, tooLong.ExitCode);
        Assert.StartsWith($"error: {ResultCodes.WebhookInvalidGracePeriod.Code} ", tooLong.Err, StringComparison.Ordinal);
    }

    // ---- listen ------------------------------------------------------------------------------------

    /// <summary>A running <c>rekey webhook listen</c>, with its output readable while it runs; disposing stops it as Ctrl+C would.</summary>
    private sealed class Listening : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly StringWriter _out = new();
        private readonly StringWriter _err = new();
        private readonly TextWriter _syncOut;
        private readonly TextWriter _syncErr;
        private readonly Task<int> _run;

        private Listening(string secret, int port, string path)
        {
            _syncOut = TextWriter.Synchronized(_out);
            _syncErr = TextWriter.Synchronized(_err);
            Url = new Uri($"http://127.0.0.1:{port}{path}");
            _run = Task.Run(() => RekeyCli.RunAsync(["webhook", "listen", "--secret", secret, "--port", $"{port}", "--path", path],
                TextReader.Null, _syncOut, _syncErr, new Dictionary<string, string?>(), _stop.Token));
        }

        public Uri Url { get; }

        public string Out => Read(_syncOut, _out);

        public string Err => Read(_syncErr, _err);

        /// <summary>
        /// Starts <c>rekey webhook listen</c> on a free loopback port and waits until it answers (a GET is refused with 405
        /// and is not a delivery). A port found free can be taken by another test's connection before the listener binds
        /// it; then it tries another port (twice at most), and a listener that fails for any other reason fails the test.
        /// </summary>
        public static async Task<Listening> StartAsync(HttpClient http, string secret, string path)
        {
            for (var attempt = 1; ; attempt++)
            {
                var listening = new Listening(secret, Ports.Unused(), path);
                if (await listening.ReadyAsync(http))
                {
                    return listening;
                }

                var run = await listening._run.WaitAsync(TimeSpan.FromSeconds(30));
                var err = listening.Err;
                await listening.DisposeAsync();
                Assert.True(run == ExitCodes.Usage && err.Contains("cannot listen on ", StringComparison.Ordinal) && attempt < 3, $"listen ended: exit {run}\n{err}");
            }
        }

        /// <summary>True once it answers; false when it ended instead (a fault fails the test with its exception).</summary>
        private async Task<bool> ReadyAsync(HttpClient http)
        {
            var ready = false;
            await Waits.UntilAsync(async () =>
            {
                if (_run.IsCompleted)
                {
                    Assert.True(_run.IsCompletedSuccessfully, $"listen failed: {_run.Exception}\n{Err}");
                    return true;
                }

                // Not before it says it listens: HttpListener accepts inside its start, and a connection at that instant
                // fails the start (see WebhookListener.Start).
                if (!Err.Contains("Listening on ", StringComparison.Ordinal))
                {
                    return false;
                }

                try
                {
                    using var response = await http.GetAsync(Url);
                    return ready = response.StatusCode == HttpStatusCode.MethodNotAllowed;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "rekey webhook listen to answer");
            return ready;
        }

        /// <summary>Stops it as Ctrl+C does; its exit code.</summary>
        public async Task<int> StopAsync()
        {
            await _stop.CancelAsync();
            return await _run.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async ValueTask DisposeAsync()
        {
            if (!_run.IsCompleted)
            {
                await StopAsync();
            }

            _stop.Dispose();
        }

        // TextWriter.Synchronized locks the writer it returns on every call; reading under the same lock sees whole lines.
        private static string Read(TextWriter sync, StringWriter inner)
        {
            lock (sync)
            {
                return inner.ToString();
            }
        }
    }

    /// <summary>The secret the server would make: whsec_ and the base64 of 32 random bytes.</summary>
    private static string NewSigningSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>A delivery signed per Standard Webhooks: <c>v1,</c> + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).</summary>
    private static HttpRequestMessage Signed(Uri url, string secret, string id, long timestamp, string body, string? sentBody = null)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signature = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Wire.Json(sentBody ?? body) };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signature);
        return request;
    }

    private static long Now() => TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();

    private static string LockedEvent(string id) => $$$"""{"type":"client.locked","timestamp":"2026-12-04T03:00:00.000Z","data":{"eventId":"{{{id}}}","serviceId":7,"clientId":4242}}""";

    private async Task<HttpStatusCode> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await _http.SendAsync(request);
            return response.StatusCode;
        }
    }

    [Fact]
    public async Task listen_answers_204_to_a_correctly_signed_delivery_and_prints_signature_ok()
    {
        var secret = NewSigningSecret();
        await using var listen = await Listening.StartAsync(_http, secret, "/hooks");
        const string id = "evt_0190aa00000001";

        var status = await SendAsync(Signed(listen.Url, secret, id, Now(), LockedEvent(id)));

        Assert.Equal(HttpStatusCode.NoContent, status);
        var line = Assert.Single(listen.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches($@"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z +client\.locked +{id} +client 4242 +signature ok$", line);
        Assert.Contains($"Listening on {listen.Url}", listen.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listen.Out + listen.Err, StringComparison.Ordinal);

        // The same webhook-id again is a retry: answered, and marked so that it is handled once.
        Assert.Equal(HttpStatusCode.NoContent, await SendAsync(Signed(listen.Url, secret, id, Now(), LockedEvent(id))));
        Assert.EndsWith("signature ok (repeat)\n", listen.Out, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Success, await listen.StopAsync());
        Assert.Contains("Stopped; 2 deliveries received.", listen.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task listen_answers_401_to_a_tampered_body_a_wrong_secret_or_a_stale_timestamp()
    {
        var secret = NewSigningSecret();
        await using var listen = await Listening.StartAsync(_http, secret, "/");

        var tampered = LockedEvent("evt_1").Replace("4242", "4243", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(Signed(listen.Url, secret, "evt_1", Now(), LockedEvent("evt_1"), sentBody: tampered)));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(Signed(listen.Url, NewSigningSecret(), "evt_2", Now(), LockedEvent("evt_2"))));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(Signed(listen.Url, secret, "evt_3", Now() - 600, LockedEvent("evt_3"))));
        using var unsigned = new HttpRequestMessage(HttpMethod.Post, listen.Url) { Content = Wire.Json(LockedEvent("evt_4")) };
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(unsigned));

        var lines = listen.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.All(lines, l => Assert.Contains("BAD SIGNATURE", l, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("signature ok", StringComparison.Ordinal));
        Assert.Contains("client 4243", lines[0], StringComparison.Ordinal);
        Assert.Contains("webhook-timestamp is 600 s away from this clock", lines[2], StringComparison.Ordinal);
        Assert.Contains("missing webhook-id, webhook-timestamp or webhook-signature", lines[3], StringComparison.Ordinal);

        // Not a delivery: another path, another method.
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(listen.Url, "/elsewhere"))));
        using (var get = await _http.GetAsync(listen.Url))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
            Assert.Equal(["POST"], get.Content.Headers.Allow);
        }

        Assert.Equal(4, listen.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task listen_with_json_output_prints_one_object_per_delivery()
    {
        var secret = NewSigningSecret();
        var port = Ports.Unused();
        using var stop = new CancellationTokenSource();
        var output = new StringWriter();
        var sync = TextWriter.Synchronized(output);
        var run = Task.Run(() => RekeyCli.RunAsync(["webhook", "listen", "--secret", secret, "--port", $"{port}", "-o", "json"],
            TextReader.Null, sync, TextWriter.Null, new Dictionary<string, string?>(), stop.Token));
        var url = new Uri($"http://127.0.0.1:{port}/");
        await Waits.UntilAsync(async () =>
        {
            try
            {
                using var probe = await _http.GetAsync(url);
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "listen to answer");

        Assert.Equal(HttpStatusCode.NoContent, await SendAsync(Signed(url, secret, "evt_9", Now(), LockedEvent("evt_9"))));
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await run);

        var line = System.Text.Json.Nodes.JsonNode.Parse(output.ToString())?.AsObject() ?? throw new InvalidOperationException("no JSON");
        Assert.Equal("evt_9", line["eventId"]?.GetValue<string>());
        Assert.True(line["verified"]?.GetValue<bool>());
        Assert.Equal(4242, line["event"]?["data"]?["clientId"]?.GetValue<long>());
    }

    [Theory]
    [InlineData("not-a-secret")]
    [InlineData("whsec_c2hvcnQ=")]
    public async Task listen_with_a_secret_that_is_not_a_signing_secret_is_a_usage_error(string secret)
    {
        var run = await CliTestBase.RunAsync(new Dictionary<string, string?>(), null, "webhook", "listen", "--secret", secret);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("is not a webhook signing secret", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task listen_on_a_port_in_use_is_a_usage_error()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var run = await CliTestBase.RunAsync(new Dictionary<string, string?>(), null, "webhook", "listen", "--secret", NewSigningSecret(), "--port", $"{port}");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains($"cannot listen on http://127.0.0.1:{port}/", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task the_server_delivers_to_listen_and_every_delivery_verifies()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var (webhookId, secret, _) = await CreateAsync(serviceId, "http://127.0.0.1:9/rekey", "--events", "webhook.test,client.locked");
        await using var listen = await Listening.StartAsync(_http, secret, "/rekey");
        AssertSuccess(await RekeyAsync(serviceId, "webhook", "update", $"{webhookId}", "--endpoint", listen.Url.ToString()));

        AssertSuccess(await RekeyAsync(serviceId, "webhook", "test", $"{webhookId}"));
        var client = await Admin.CreateClientAsync(serviceId);
        await Admin.LockClientAsync(serviceId, client.ClientId);

        await Waits.UntilAsync(() => listen.Out.Contains($"client {client.ClientId}", StringComparison.Ordinal)
            && listen.Out.Contains(EventTypes.WebhookTest, StringComparison.Ordinal), "both events to arrive");
        var lines = listen.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.EndsWith("signature ok", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" client.locked ", StringComparison.Ordinal) && l.Contains($"client {client.ClientId}", StringComparison.Ordinal));

        // The server logged the 204s as delivered.
        await Waits.UntilAsync(async () =>
        {
            var deliveries = await RekeyAsync(serviceId, "webhook", "deliveries", $"{webhookId}");
            var rows = deliveries.Table(DeliveryColumns);
            return rows.Count == 2 && rows.All(r => r["STATUS"] == "succeeded" && r["HTTP"] == "204");
        }, "both deliveries to be logged as succeeded with 204");
    }
}
