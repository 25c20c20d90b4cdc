using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Duende.IdentityModel.Client;
using Microsoft.Extensions.Time.Testing;
using Rekey.Contracts;

namespace Rekey.Tests.OAuth;

/// <summary>
/// Dynamic client registration end to end (docs/oauth.md): RFC 7591 registration at <c>/oauth2/{sid}/register</c> with
/// an initial access token, RFC 7592 read, update and delete with the registration access token, Authlete's
/// <c>/client/registration</c> API, the service's policy and every refusal — each through real HTTP on the class's store.
/// </summary>
public abstract class RegistrationSuite(TestStore classStore) : Security.SecuritySuite
{
    private FakeTimeProvider Clock { get; } = new(Start);

    private async Task<(RekeyHost Host, HttpClient Admin)> StartHostAsync()
    {
        var host = await StartAsync(classStore, Clock);
        return (host, host.CreateAdminClient());
    }

    private static Task<long> ServiceAsync(HttpClient admin, string policy = ClientRegistrationPolicies.InitialAccessToken, string more = "") =>
        admin.CreateServiceAsync($$"""{"serviceName":"dcr","clientRegistrationPolicy":"{{policy}}"{{more}}}""");

    private static async Task<JsonObject> CreateTokenAsync(HttpClient admin, long serviceId, string body = """{"description":"pipeline"}""")
    {
        var reply = await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{serviceId}/registration/token/create", Wire.Json(body));
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.Json;
    }

    private static async Task<string> InitialTokenAsync(HttpClient admin, long serviceId, string body = """{"description":"pipeline"}""") =>
        (await CreateTokenAsync(admin, serviceId, body))["token"]!.GetValue<string>();

    /// <summary>A request with an optional bearer token and JSON body, answered as a <see cref="Reply"/>.</summary>
    private static async Task<Reply> SendAsync(RekeyHost host, HttpMethod method, string path, string? bearer, string? json = null, string mediaType = "application/json")
    {
        using var http = host.CreateClient();
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, mediaType);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await http.SendAsync(request);
        return await Reply.ReadAsync(response);
    }

    private static Task<Reply> RegisterAsync(RekeyHost host, long serviceId, string? bearer, string metadata = """{"client_name":"robot","grant_types":["client_credentials"]}""") =>
        SendAsync(host, HttpMethod.Post, $"/oauth2/{serviceId}/register", bearer, metadata);

    private static string ConfigurationPath(JsonObject registration) => new Uri(registration["registration_client_uri"]!.GetValue<string>()).AbsolutePath;

    private static async Task<long> ClientCountAsync(HttpClient admin, long serviceId) =>
        (await admin.GetForReplyAsync($"/api/{serviceId}/client/get/list")).Int("totalCount");

    private static async Task<IReadOnlyList<AuditEvent>> AuditAsync(HttpClient admin, long serviceId) =>
        (await admin.GetForReplyAsync($"/api/{serviceId}/audit/get/list?end=100")).Json.Deserialize(RekeyJsonContext.Default.AuditListResponse)!.Events;

    private static async Task<HttpStatusCode> TokenStatusAsync(RekeyHost host, long serviceId, string clientId, string secret)
    {
        using var anyone = host.CreateClient();
        return (await anyone.SendTokenRequestAsync(serviceId, clientId, secret)).Status;
    }

    /// <summary>Moves past the limiter's window, so that a test may register more than its budget per window from one address.</summary>
    private void NextWindow() => Clock.Advance(Server.OAuth.FailedAuthLimiter.Window + TimeSpan.FromSeconds(1));

    // ---- the flow --------------------------------------------------------------------------------------

    [Fact]
    public async Task a_client_registers_with_an_initial_access_token_then_reads_updates_and_deletes_itself_and_its_old_secret_is_honoured_for_the_grace_period()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin, more: ""","clientSecretGracePeriod":3600""");
        var initial = await InitialTokenAsync(admin, sid);

        var registered = await RegisterAsync(host, sid, initial, """{"client_name":"robot","grant_types":["client_credentials"],"contacts":["ops@example.com"],"scope":""}""");
        Assert.Equal(HttpStatusCode.Created, registered.Status);
        var (clientId, secret, rat) = (registered.Str("client_id"), registered.Str("client_secret"), registered.Str("registration_access_token"));
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(host, sid, clientId, secret));

        // An ordinary client: client/get shows it, with its metadata in Authlete's names.
        var stored = (await admin.GetForReplyAsync($"/api/{sid}/client/get/{clientId}")).Json;
        Assert.Equal("robot", stored["clientName"]!.GetValue<string>());
        Assert.True(stored["dynamicallyRegistered"]!.GetValue<bool>());
        Assert.Equal(["CLIENT_CREDENTIALS"], stored["grantTypes"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Equal(["ops@example.com"], stored["contacts"]!.AsArray().Select(g => g!.GetValue<string>()));

        // RFC 7592 §2.1: read with the registration access token, which stays valid.
        var path = ConfigurationPath(registered.Json);
        var read = await SendAsync(host, HttpMethod.Get, path, rat);
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(secret, read.Str("client_secret"));
        Assert.Equal(rat, read.Str("registration_access_token"));
        Assert.Equal("no-store", read.Header("Cache-Control"));

        // RFC 7592 §2.2: an update without client_secret gets a new secret; the token is replaced.
        var update = new JsonObject { ["client_id"] = clientId, ["client_name"] = "robot v2", ["grant_types"] = new JsonArray("client_credentials") };
        var updated = await SendAsync(host, HttpMethod.Put, path, rat, update.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        var (secret2, rat2) = (updated.Str("client_secret"), updated.Str("registration_access_token"));
        Assert.NotEqual(secret, secret2);
        Assert.NotEqual(rat, rat2);
        Assert.Equal("robot v2", updated.Str("client_name"));
        Assert.False(updated.Has("contacts"), "An omitted member is removed (RFC 7592 §2.2).");
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(host, HttpMethod.Get, path, rat)).Status);

        // The replaced secret is honoured for the service's grace period, then refused; the new one works.
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(host, sid, clientId, secret));
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(host, sid, clientId, secret2));
        var secrets = await admin.ListSecretsAsync(sid, long.Parse(clientId, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["current", "previous"], secrets.Select(s => s!["status"]!.GetValue<string>()));
        Clock.Advance(TimeSpan.FromSeconds(3601));
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenStatusAsync(host, sid, clientId, secret));
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(host, sid, clientId, secret2));

        // An update that echoes its current secret keeps it.
        update["client_secret"] = secret2;
        var kept = await SendAsync(host, HttpMethod.Put, path, rat2, update.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, kept.Status);
        Assert.Equal(secret2, kept.Str("client_secret"));
        var rat3 = kept.Str("registration_access_token");

        // RFC 7592 §2.3: delete; the secret and the token stop working.
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(host, HttpMethod.Delete, path, rat3)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenStatusAsync(host, sid, clientId, secret2));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(host, HttpMethod.Get, path, rat3)).Status);

        // Audited like any change, by who did it; no value in any event.
        var events = await AuditAsync(admin, sid);
        var tokenId = (await admin.GetForReplyAsync($"/api/{sid}/registration/token/get/list")).Objects("initialAccessTokens")[0]["tokenId"]!.GetValue<long>();
        Assert.Contains(events, e => e is { Action: AuditActions.ClientCreate, ActorKind: "initial_access_token", Outcome: "success" } && e.ActorTokenId == tokenId);
        Assert.Equal(2, events.Count(e => e is { Action: AuditActions.ClientUpdate, ActorKind: "registered_client", Outcome: "success" }));
        Assert.Single(events, e => e is { Action: AuditActions.SecretRefresh, ActorKind: "registered_client" });
        Assert.Single(events, e => e is { Action: AuditActions.ClientDelete, ActorKind: "registered_client" });

        // Never a secret or token in the log or the trail, nor in clear in the database (the tokens are kept as SHA-256).
        var everything = string.Join('\n', host.Logs.Lines) + JsonSerializer.Serialize(events);
        foreach (var value in new[] { secret, secret2, rat, rat2, rat3, initial })
        {
            Assert.DoesNotContain(value, everything, StringComparison.Ordinal);
        }

        var registered2 = (await RegisterAsync(host, sid, initial)).Json;
        var live = new[] { registered2["registration_access_token"]!.GetValue<string>(), registered2["client_secret"]!.GetValue<string>(), initial };
        var pieces = 0;
        await foreach (var piece in Access.ReadAllBytesAsync(classStore))
        {
            pieces++;
            Assert.All(live, value => Assert.False(Security.Sec.ContainsText(piece.Bytes, value), $"a token or secret is in the database in clear ({piece})"));
        }

        Assert.True(pieces > 0);
    }

    [Fact]
    public async Task the_registration_answer_has_rfc_7591s_shape_and_defaults_and_the_metadata_announces_the_endpoint_only_when_open()
    {
        var (host, admin) = await StartHostAsync();
        var closed = await admin.CreateServiceAsync("""{"serviceName":"closed"}""");
        var sid = await ServiceAsync(admin, ClientRegistrationPolicies.Open, ""","clientSecretLifetime":86400""");
        using var anyone = host.CreateClient();
        Assert.False((await anyone.GetForReplyAsync($"/oauth2/{closed}/.well-known/openid-configuration")).Has("registration_endpoint"));
        var metadata = await anyone.GetForReplyAsync($"/oauth2/{sid}/.well-known/openid-configuration");
        var endpoint = metadata.Str("registration_endpoint");
        Assert.Equal(metadata.Str("issuer") + "/register", endpoint);

        var reply = await RegisterAsync(host, sid, bearer: null, """{"client_name":"defaults"}""");
        Assert.Equal(HttpStatusCode.Created, reply.Status);
        Assert.Equal("no-store", reply.Header("Cache-Control"));
        Assert.Equal("no-cache", reply.Header("Pragma"));
        var body = reply.Json;
        Assert.Equal(JsonValueKind.String, body["client_id"]!.GetValueKind());
        Assert.Matches("^[0-9]{12,16}$", reply.Str("client_id"));
        Assert.Null(ClientSecretRules.Check(reply.Str("client_secret")));
        Assert.Equal(86, reply.Str("client_secret").Length);
        Assert.Equal(Start.ToUnixTimeSeconds(), reply.Int("client_id_issued_at"));
        Assert.Equal(Start.ToUnixTimeSeconds() + 86400, reply.Int("client_secret_expires_at"));
        Assert.Equal($"{endpoint}/{reply.Str("client_id")}", reply.Str("registration_client_uri"));
        Assert.StartsWith("rkr_", reply.Str("registration_access_token"), StringComparison.Ordinal);
        Assert.Equal(["authorization_code"], body["grant_types"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Equal(["code"], body["response_types"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Equal("client_secret_basic", reply.Str("token_endpoint_auth_method"));

        // Every member the standard defines round-trips in its own name.
        var full = new JsonObject
        {
            ["client_name"] = "full", ["redirect_uris"] = new JsonArray("https://app.example/cb", "com.example.app:/cb"),
            ["grant_types"] = new JsonArray("authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"),
            ["response_types"] = new JsonArray("code", "id_token code"), ["token_endpoint_auth_method"] = "client_secret_post", ["application_type"] = "native",
            ["contacts"] = new JsonArray("a@example.com"), ["client_uri"] = "https://app.example", ["logo_uri"] = "https://app.example/logo.png",
            ["policy_uri"] = "https://app.example/policy", ["tos_uri"] = "https://app.example/tos", ["jwks_uri"] = "https://app.example/jwks.json",
            ["software_id"] = "4NRB1-0XZABZI9E6-5SM3R", ["software_version"] = "2.1", ["unknown_member"] = "ignored",
        };
        var echoed = (await RegisterAsync(host, sid, null, full.ToJsonString())).Json;
        foreach (var (name, value) in full)
        {
            if (name == "unknown_member")
            {
                Assert.False(echoed.ContainsKey(name));
            }
            else if (name == "response_types")
            {
                Assert.Equal(["code", "code id_token"], echoed[name]!.AsArray().Select(v => v!.GetValue<string>()));
            }
            else
            {
                Assert.True(JsonNode.DeepEquals(value, echoed[name]), $"{name}: {value?.ToJsonString()} != {echoed[name]?.ToJsonString()}");
            }
        }

        // A public client gets no secret.
        var pub = await RegisterAsync(host, sid, null, """{"client_name":"spa","token_endpoint_auth_method":"none","redirect_uris":["https://spa.example/cb"]}""");
        Assert.False(pub.Has("client_secret"));
        Assert.False(pub.Has("client_secret_expires_at"));
        Assert.Equal("PUBLIC", (await admin.GetForReplyAsync($"/api/{sid}/client/get/{pub.Str("client_id")}")).Str("clientType"));
    }

    [Fact]
    public async Task registered_secrets_follow_the_services_secret_format_and_scope_becomes_the_requestable_scopes()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin, ClientRegistrationPolicies.Open,
            ""","clientSecretFormat":"IDENTIFIABLE","supportedScopes":[{"name":"read"},{"name":"write"}]""");
        var reply = await RegisterAsync(host, sid, null, """{"client_name":"scoped","grant_types":["client_credentials"],"scope":"read","token_endpoint_auth_method":"client_secret_post"}""");
        Assert.Equal(HttpStatusCode.Created, reply.Status);
        Assert.True(IdentifiableSecret.IsValid(reply.Str("client_secret")));
        Assert.Equal("read", reply.Str("scope"));

        // The token endpoint enforces it: the client may ask for read, not for write.
        using var anyone = host.CreateClient();
        var (id, secret) = (reply.Str("client_id"), reply.Str("client_secret"));
        Assert.Equal(HttpStatusCode.OK, (await anyone.SendForReplyAsync(HttpMethod.Post, $"/oauth2/{sid}/token",
            Wire.Form(("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("scope", "read")))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await anyone.SendForReplyAsync(HttpMethod.Post, $"/oauth2/{sid}/token",
            Wire.Form(("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("scope", "write")))).Status);

        // A scope the service does not have is refused.
        var unknown = await RegisterAsync(host, sid, null, """{"client_name":"greedy","scope":"admin"}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Equal("invalid_client_metadata", unknown.Str("error"));
    }

    // ---- refusals --------------------------------------------------------------------------------------

    public static TheoryData<string, string, string> MalformedMetadata => new()
    {
        { "not JSON", "{", "invalid_client_metadata" },
        { "an array", "[]", "invalid_client_metadata" },
        { "a member given twice", """{"client_name":"a","client_name":"b"}""", "invalid_client_metadata" },
        { "a lone surrogate", """{"client_name":"\ud800"}""", "invalid_client_metadata" },
        { "too deep", string.Concat(Enumerable.Repeat("""{"a":""", 40)) + "1" + new string('}', 40), "invalid_client_metadata" },
        { "a software statement", """{"software_statement":"eyJhbGciOiJIUzI1NiJ9.e30.x"}""", "unapproved_software_statement" },
        { "a redirect URI with a fragment", """{"redirect_uris":["https://app.example/cb#frag"]}""", "invalid_redirect_uri" },
        { "a relative redirect URI", """{"redirect_uris":["/cb"]}""", "invalid_redirect_uri" },
        { "redirect_uris not an array", """{"redirect_uris":"https://app.example/cb"}""", "invalid_redirect_uri" },
        { "an unknown grant type", """{"grant_types":["magic"]}""", "invalid_client_metadata" },
        { "an unknown response type", """{"response_types":["code magic"]}""", "invalid_client_metadata" },
        { "private_key_jwt", """{"token_endpoint_auth_method":"private_key_jwt"}""", "invalid_client_metadata" },
        { "jwks and jwks_uri", """{"jwks_uri":"https://app.example/jwks","jwks":{"keys":[{"kty":"EC"}]}}""", "invalid_client_metadata" },
        { "a private key in jwks", """{"jwks":{"keys":[{"kty":"EC","d":"secret"}]}}""", "invalid_client_metadata" },
        { "jwks_uri over http", """{"jwks_uri":"http://app.example/jwks"}""", "invalid_client_metadata" },
        { "a client_name too long", $$"""{"client_name":"{{new string('n', 201)}}"}""", "invalid_client_metadata" },
        { "a control character in client_name", """{"client_name":"robot\u001b[31m"}""", "invalid_client_metadata" },
        { "client_name not a string", """{"client_name":42}""", "invalid_client_metadata" },
        { "contacts not an array", """{"contacts":"ops@example.com"}""", "invalid_client_metadata" },
        { "a logo_uri that is no URL", """{"logo_uri":"javascript:alert(1)"}""", "invalid_client_metadata" },
        { "a bad application_type", """{"application_type":"desktop"}""", "invalid_client_metadata" },
        { "a scope with a quote", """{"scope":"read \"write"}""", "invalid_client_metadata" },
    };

    [Theory]
    [MemberData(nameof(MalformedMetadata))]
    public async Task malformed_metadata_is_refused_with_its_rfc_7591_error_and_neither_creates_a_client_nor_uses_up_the_token(string what, string metadata, string error)
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin);
        var initial = await InitialTokenAsync(admin, sid, """{"singleUse":true}""");

        var reply = await RegisterAsync(host, sid, initial, metadata);
        Assert.True(reply.Status == HttpStatusCode.BadRequest, $"{what}: {reply}");
        Assert.Equal(error, reply.Str("error"));
        Assert.Equal("no-store", reply.Header("Cache-Control"));
        Assert.Equal(0, await ClientCountAsync(admin, sid));
        Assert.Contains(await AuditAsync(admin, sid), e => e.Action == AuditActions.ClientCreate && e.Outcome.StartsWith("A202", StringComparison.Ordinal));

        // The single-use token was not spent by the refusal.
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(host, sid, initial)).Status);
    }

    [Fact]
    public async Task a_body_that_is_not_json_or_too_large_is_refused_and_changes_nothing()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin, ClientRegistrationPolicies.Open);
        var form = await SendAsync(host, HttpMethod.Post, $"/oauth2/{sid}/register", null, "client_name=x", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.BadRequest, form.Status);
        Assert.Equal("invalid_client_metadata", form.Str("error"));
        var huge = await RegisterAsync(host, sid, null, $$"""{"client_name":"x","pad":"{{new string('a', 2_000_000)}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, huge.Status);
        Assert.Equal(0, await ClientCountAsync(admin, sid));
    }

    [Fact]
    public async Task a_missing_wrong_expired_revoked_used_or_foreign_initial_access_token_is_refused_with_401_and_writes_nothing()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin);
        var other = await ServiceAsync(admin);
        var single = await InitialTokenAsync(admin, sid, """{"singleUse":true}""");
        var expiring = await InitialTokenAsync(admin, sid, """{"expiresIn":60}""");
        var revokedInfo = await CreateTokenAsync(admin, sid);
        var foreign = await InitialTokenAsync(admin, other);
        Assert.Equal(HttpStatusCode.NoContent,
            (await admin.SendForReplyAsync(HttpMethod.Delete, $"/api/{sid}/registration/token/delete/{revokedInfo["tokenId"]}")).Status);
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(host, sid, single)).Status);
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(host, sid, expiring)).Status);
        Clock.Advance(TimeSpan.FromSeconds(61));
        var eventsBefore = (await AuditAsync(admin, sid)).Count;

        foreach (var (what, token) in new (string, string?)[]
                 {
                     ("none", null), ("made up", "rki_" + new string('A', 43)), ("used up", single), ("expired", expiring),
                     ("revoked", revokedInfo["token"]!.GetValue<string>()), ("another service's", foreign), ("an admin token", RekeyHost.AdminToken),
                 })
        {
            var reply = await RegisterAsync(host, sid, token);
            Assert.True(reply.Status == HttpStatusCode.Unauthorized, $"{what}: {reply}");
            Assert.Equal("invalid_token", reply.Str("error"));
            Assert.StartsWith("Bearer", reply.Header("WWW-Authenticate"), StringComparison.Ordinal);
            NextWindow();
        }

        Assert.Equal(2, await ClientCountAsync(admin, sid));
        Assert.Equal(eventsBefore, (await AuditAsync(admin, sid)).Count);
    }

    [Fact]
    public async Task guessing_initial_access_tokens_from_an_address_is_limited_without_starving_the_holder_of_a_valid_token_which_has_its_own_budget()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin);
        var initial = await InitialTokenAsync(admin, sid);
        var limit = Server.OAuth.FailedAuthLimiter.MaxFailures;
        for (var i = 0; i < limit; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await RegisterAsync(host, sid, "rki_guess" + i)).Status);
        }

        var blocked = await RegisterAsync(host, sid, "rki_guess");
        Assert.Equal((HttpStatusCode)429, blocked.Status);
        Assert.NotNull(blocked.Header("Retry-After"));

        // The same address with the valid token: its own budget of registrations per window.
        for (var i = 0; i < limit; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(host, sid, initial)).Status);
        }

        Assert.Equal((HttpStatusCode)429, (await RegisterAsync(host, sid, initial)).Status);
        Assert.Equal(limit, await ClientCountAsync(admin, sid));
        NextWindow();
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(host, sid, initial)).Status);
    }

    [Fact]
    public async Task a_single_use_initial_access_token_presented_many_times_at_once_registers_exactly_one_client()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin);
        var single = await InitialTokenAsync(admin, sid, """{"singleUse":true}""");

        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => RegisterAsync(host, sid, single)));
        Assert.Single(replies, r => r.Status == HttpStatusCode.Created);
        Assert.All(replies.Where(r => r.Status != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Unauthorized, r.Status));
        Assert.Equal(1, await ClientCountAsync(admin, sid));
        var listed = (await admin.GetForReplyAsync($"/api/{sid}/registration/token/get/list")).Objects("initialAccessTokens").Single();
        Assert.Equal(1, listed["registrations"]!.GetValue<long>());
        Assert.False(listed["usable"]!.GetValue<bool>());
        Assert.False(listed.ContainsKey("token"));
    }

    [Fact]
    public async Task a_closed_service_refuses_everyone_and_an_open_one_takes_anyone_within_the_rate_limit()
    {
        var (host, admin) = await StartHostAsync();
        var closed = await admin.CreateServiceAsync("""{"serviceName":"closed"}""");
        var refused = await RegisterAsync(host, closed, null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("access_denied", refused.Str("error"));
        var viaApi = await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{closed}/client/registration", Wire.Json("""{"json":"{}"}"""));
        Assert.Equal("A202302", viaApi.Str("resultCode"));
        Assert.Equal("BAD_REQUEST", viaApi.Str("action"));
        Assert.Equal(0, await ClientCountAsync(admin, closed));

        var open = await ServiceAsync(admin, ClientRegistrationPolicies.Open);
        for (var i = 0; i < Server.OAuth.FailedAuthLimiter.MaxFailures; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(host, open, null)).Status);
        }

        var limited = await RegisterAsync(host, open, null);
        Assert.Equal((HttpStatusCode)429, limited.Status);
        Assert.NotNull(limited.Header("Retry-After"));
        Assert.Equal(10, await ClientCountAsync(admin, open));
        Assert.Contains(await AuditAsync(admin, open), e => e is { Action: AuditActions.ClientCreate, ActorKind: "anonymous", Outcome: "success" });
        NextWindow();
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(host, open, null)).Status);
    }

    [Fact]
    public async Task a_wrong_registration_access_token_gets_the_same_401_whatever_is_wrong_and_repeated_guesses_are_limited()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin, ClientRegistrationPolicies.Open);
        var first = (await RegisterAsync(host, sid, null)).Json;
        var second = (await RegisterAsync(host, sid, null)).Json;
        var manual = await admin.CreateClientAsync(sid);
        var path = ConfigurationPath(first);
        var ratOfSecond = second["registration_access_token"]!.GetValue<string>();

        var answers = new List<string>();
        foreach (var (what, target, token) in new (string, string, string?)[]
                 {
                     ("no token", path, null), ("another client's token", path, ratOfSecond), ("a made-up token", path, "rkr_x"),
                     ("a client created through /api", $"/oauth2/{sid}/register/{manual.Id}", ratOfSecond), ("an unknown client", $"/oauth2/{sid}/register/123456789012", ratOfSecond),
                     ("an alias", $"/oauth2/{sid}/register/robot", ratOfSecond),
                 })
        {
            var reply = await SendAsync(host, HttpMethod.Get, target, token);
            Assert.True(reply.Status == HttpStatusCode.Unauthorized, $"{what}: {reply}");
            Assert.Equal("invalid_token", reply.Str("error"));
            answers.Add(reply.Str("error"));
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(host, HttpMethod.Delete, target, token)).Status);
        }

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(host, HttpMethod.Get, path, first["registration_access_token"]!.GetValue<string>())).Status);
        Assert.Equal(3, await ClientCountAsync(admin, sid));

        // Ten wrong guesses at one client from one address: the next attempt waits, even with the right token.
        for (var i = 0; i < Server.OAuth.FailedAuthLimiter.MaxFailures; i++)
        {
            await SendAsync(host, HttpMethod.Get, path, "rkr_guess" + i);
        }

        Assert.Equal((HttpStatusCode)429, (await SendAsync(host, HttpMethod.Get, path, first["registration_access_token"]!.GetValue<string>())).Status);
    }

    [Fact]
    public async Task an_update_cannot_choose_the_secret_nor_rename_the_client_id_and_a_refused_update_changes_nothing()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin, ClientRegistrationPolicies.Open);
        var registered = (await RegisterAsync(host, sid, null)).Json;
        var (path, rat, secret) = (ConfigurationPath(registered), registered["registration_access_token"]!.GetValue<string>(), registered["client_secret"]!.GetValue<string>());

        foreach (var (what, body) in new (string, string)[]
                 {
                     ("a chosen secret", """{"client_secret":"my-own-secret","client_name":"x"}"""),
                     ("another client_id", """{"client_id":"123456789012","client_name":"x"}"""),
                     ("bad metadata", """{"redirect_uris":["nope"]}"""),
                     ("a software statement", """{"software_statement":"x"}"""),
                 })
        {
            var reply = await SendAsync(host, HttpMethod.Put, path, rat, body);
            Assert.True(reply.Status == HttpStatusCode.BadRequest, $"{what}: {reply}");
        }

        // Nothing changed: the token, the secret and the name are what they were.
        var read = await SendAsync(host, HttpMethod.Get, path, rat);
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(secret, read.Str("client_secret"));
        Assert.Equal("robot", read.Str("client_name"));
        Assert.Single(await admin.ListSecretsAsync(sid, long.Parse(registered["client_id"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task an_update_keeps_what_an_operator_set_through_the_api_and_a_locked_client_cannot_use_its_registration_until_unlocked()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin, ClientRegistrationPolicies.Open);
        var registered = (await RegisterAsync(host, sid, null)).Json;
        var (clientId, rat, path) = (registered["client_id"]!.GetValue<string>(), registered["registration_access_token"]!.GetValue<string>(), ConfigurationPath(registered));
        var id = long.Parse(clientId, System.Globalization.CultureInfo.InvariantCulture);
        var doc = (await admin.GetForReplyAsync($"/api/{sid}/client/get/{clientId}")).Json;
        doc["clientIdAlias"] = "999999999999";
        doc["developer"] = "acme";
        doc["description"] = "set by an operator";
        Assert.Equal(HttpStatusCode.OK, (await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/client/update/{clientId}", Wire.Json(doc.ToJsonString()))).Status);

        // The registration is addressed by the numeric ID only, never by an alias, even one made of digits.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(host, HttpMethod.Get, $"/oauth2/{sid}/register/999999999999", rat)).Status);

        // Locked, the client can neither read its secret, nor mint a new one, nor delete itself with its token.
        await admin.LockClientAsync(sid, id);
        const string Update = """{"client_name":"renamed","grant_types":["client_credentials"]}""";
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(host, HttpMethod.Get, path, rat)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(host, HttpMethod.Put, path, rat, Update)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(host, HttpMethod.Delete, path, rat)).Status);
        Assert.Single(await admin.ListSecretsAsync(sid, id));

        await admin.LockClientAsync(sid, id, locked: false);
        var updated = await SendAsync(host, HttpMethod.Put, path, rat, Update);
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        var after = (await admin.GetForReplyAsync($"/api/{sid}/client/get/{clientId}")).Json;
        Assert.Equal("renamed", after["clientName"]!.GetValue<string>());
        Assert.Equal("999999999999", after["clientIdAlias"]!.GetValue<string>());
        Assert.Equal("acme", after["developer"]!.GetValue<string>());
        Assert.Equal("set by an operator", after["description"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(host, sid, clientId, updated.Str("client_secret")));
    }

    [Fact]
    public async Task a_leaked_registration_answer_loses_its_registration_access_token_too_and_the_operator_issues_a_new_one()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin, ClientRegistrationPolicies.Open);
        var registered = (await RegisterAsync(host, sid, null)).Json;
        var (clientId, rat, secret, path) = (registered["client_id"]!.GetValue<string>(), registered["registration_access_token"]!.GetValue<string>(),
            registered["client_secret"]!.GetValue<string>(), ConfigurationPath(registered));
        var id = long.Parse(clientId, System.Globalization.CultureInfo.InvariantCulture);

        // The whole answer leaks; the secret is reported. REVOKE replaces the secret and the registration access token
        // with ones nobody has, and locks the client.
        var report = await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/client/secret/leak", Wire.Json(new JsonObject { ["clientSecret"] = secret }.ToJsonString()));
        Assert.Equal("A152001", report.Str("resultCode"));
        await admin.LockClientAsync(sid, id, locked: false);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(host, HttpMethod.Get, path, rat)).Status);

        // The operator re-provisions: a new secret and a new registration access token, each shown once.
        var newSecret = await admin.RefreshSecretAsync(sid, id);
        var refreshed = await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/client/registration_token/refresh/{clientId}");
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal("A159001", refreshed.Str("resultCode"));
        Assert.Equal(registered["registration_client_uri"]!.GetValue<string>(), refreshed.Str("registrationClientUri"));
        var read = await SendAsync(host, HttpMethod.Get, path, refreshed.Str("registrationAccessToken"));
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(newSecret, read.Str("client_secret"));
        Assert.Contains(await AuditAsync(admin, sid), e => e is { Action: AuditActions.RegistrationTokenRefresh, Outcome: "success" } && e.ClientId == id);

        // A client created through /api has no registration to hand out.
        var manual = await admin.CreateClientAsync(sid);
        var refused = await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/client/registration_token/refresh/{manual.Id}");
        Assert.Equal((HttpStatusCode.BadRequest, "A159201"), (refused.Status, refused.Str("resultCode")));
        Assert.DoesNotContain(refreshed.Str("registrationAccessToken"), string.Join('\n', host.Logs.Lines), StringComparison.Ordinal);
    }

    // ---- Authlete's API ----------------------------------------------------------------------------------

    [Fact]
    public async Task authletes_registration_api_registers_reads_updates_and_deletes_with_its_actions_and_codes()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin, ClientRegistrationPolicies.InitialAccessToken,
            ""","registrationEndpoint":"https://as.example/dcr/register","clientSecretGracePeriod":600""");
        var server = await admin.CreateApiTokenAsync(sid, Permissions.ClientRegistration);
        using var authorizationServer = host.CreateClient();
        authorizationServer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Token);

        async Task<Reply> CallAsync(string api, object body) =>
            await authorizationServer.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/client/registration{api}", Wire.Json(JsonSerializer.Serialize(body)));

        var created = await CallAsync("", new { json = """{"client_name":"My Dynamic Client","grant_types":["client_credentials"]}""" });
        Assert.Equal(HttpStatusCode.OK, created.Status);
        Assert.Equal(("A202001", "CREATED"), (created.Str("resultCode"), created.Str("action")));
        var content = JsonNode.Parse(created.Str("responseContent"))!.AsObject();
        var (clientId, rat, secret) = (content["client_id"]!.GetValue<string>(), content["registration_access_token"]!.GetValue<string>(), content["client_secret"]!.GetValue<string>());
        Assert.Equal($"https://as.example/dcr/register/{clientId}", content["registration_client_uri"]!.GetValue<string>());
        var client = created.Json["client"]!.AsObject();
        Assert.Equal(clientId, client["clientId"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(secret, client["clientSecret"]!.GetValue<string>());
        Assert.True(client["dynamicallyRegistered"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(host, sid, clientId, secret));

        var read = await CallAsync("/get", new { clientId, token = rat });
        Assert.Equal(("A217001", "OK"), (read.Str("resultCode"), read.Str("action")));

        // Without unauthorizedOnClientConfigSupported a bad token is BAD_REQUEST (older libraries); with it, UNAUTHORIZED.
        var bad = await CallAsync("/get", new { clientId, token = "rkr_wrong" });
        Assert.Equal(("A217301", "BAD_REQUEST"), (bad.Str("resultCode"), bad.Str("action")));
        Assert.Equal("invalid_token", JsonNode.Parse(bad.Str("responseContent"))!["error"]!.GetValue<string>());
        var document = (await admin.GetForReplyAsync($"/api/{sid}/service/get")).Json;
        document["unauthorizedOnClientConfigSupported"] = true;
        Assert.Equal(HttpStatusCode.OK, (await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/service/update", Wire.Json(document.ToJsonString()))).Status);
        Assert.Equal("UNAUTHORIZED", (await CallAsync("/get", new { clientId, token = "rkr_wrong" })).Str("action"));

        var updated = await CallAsync("/update", new { clientId, token = rat, json = """{"client_name":"Renamed","grant_types":["client_credentials"]}""" });
        Assert.Equal(("A213001", "UPDATED"), (updated.Str("resultCode"), updated.Str("action")));
        var updatedContent = JsonNode.Parse(updated.Str("responseContent"))!.AsObject();
        Assert.NotEqual(secret, updatedContent["client_secret"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(host, sid, clientId, secret));
        var rat2 = updatedContent["registration_access_token"]!.GetValue<string>();
        Assert.Equal("UNAUTHORIZED", (await CallAsync("/delete", new { clientId, token = rat })).Str("action"));

        var mismatch = await CallAsync("/update", new { clientId, token = rat2, json = """{"client_id":"1","client_name":"x"}""" });
        Assert.Equal(("A213302", "BAD_REQUEST"), (mismatch.Str("resultCode"), mismatch.Str("action")));
        var invalid = await CallAsync("/update", new { clientId, token = rat2, json = "not json" });
        Assert.Equal(("A202301", "BAD_REQUEST"), (invalid.Str("resultCode"), invalid.Str("action")));

        var deleted = await CallAsync("/delete", new { clientId, token = rat2 });
        Assert.Equal(("A216001", "DELETED"), (deleted.Str("resultCode"), deleted.Str("action")));
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenStatusAsync(host, sid, clientId, secret));

        // Audited under the authorization server's API token.
        var events = await AuditAsync(admin, sid);
        Assert.Contains(events, e => e is { Action: AuditActions.ClientCreate, ActorKind: "service", Outcome: "success" } && e.ActorTokenId == server.TokenId);
        Assert.Contains(events, e => e is { Action: AuditActions.ClientDelete, ActorKind: "service", Outcome: "success" });

        // A token without client.registration may not use it, nor manage initial access tokens.
        var reader = await admin.CreateApiTokenAsync(sid, Permissions.ClientRead, Permissions.ClientWrite, Permissions.ClientSecretRead);
        using var other = host.CreateClient();
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", reader.Token);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/client/registration", Wire.Json("""{"json":"{}"}"""))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/registration/token/create", Wire.Json("{}"))).Status);
    }

    // ---- initial access tokens and the service's settings -------------------------------------------------

    [Fact]
    public async Task initial_access_tokens_are_shown_once_listed_without_values_validated_and_revoked()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin);
        var created = await CreateTokenAsync(admin, sid, """{"description":"ci pipeline","expiresIn":3600,"singleUse":true}""");
        Assert.StartsWith("rki_", created["token"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(Start.ToUnixTimeMilliseconds() + 3_600_000, created["expiresAt"]!.GetValue<long>());
        Assert.True(created["singleUse"]!.GetValue<bool>());
        Assert.True(created["usable"]!.GetValue<bool>());
        Assert.False((await CreateTokenAsync(admin, sid, """{"description":" "}""")).ContainsKey("description"), "An empty description is none.");

        var list = await admin.GetForReplyAsync($"/api/{sid}/registration/token/get/list");
        Assert.DoesNotContain(created["token"]!.GetValue<string>(), list.Text, StringComparison.Ordinal);
        Assert.Equal(2, list.Int("totalCount"));
        Clock.Advance(TimeSpan.FromSeconds(3601));
        var expired = (await admin.GetForReplyAsync($"/api/{sid}/registration/token/get/list")).Objects("initialAccessTokens")
            .Single(t => t["tokenId"]!.GetValue<long>() == created["tokenId"]!.GetValue<long>());
        Assert.False(expired["usable"]!.GetValue<bool>());

        foreach (var (body, code) in new[]
                 {
                     ("""{"expiresIn":0}""", "A155201"), ("""{"expiresIn":31536001}""", "A155201"), ("""{"expiresIn":"soon"}""", "A000213"),
                     ($$"""{"description":"{{new string('d', 201)}}"}""", "A155202"), ("""{"description":"two\nlines"}""", "A155202"), ("""{"singleUse":"yes"}""", "A000213"),
                 })
        {
            var refused = await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/registration/token/create", Wire.Json(body));
            Assert.True(refused.Status == HttpStatusCode.BadRequest, $"{body}: {refused}");
            Assert.Equal(code, refused.Str("resultCode"));
        }

        Assert.Equal(2, (await admin.GetForReplyAsync($"/api/{sid}/registration/token/get/list")).Int("totalCount"));
        var path = $"/api/{sid}/registration/token/delete/{created["tokenId"]}";
        Assert.Equal(HttpStatusCode.NoContent, (await admin.SendForReplyAsync(HttpMethod.Delete, path)).Status);
        var again = await admin.SendForReplyAsync(HttpMethod.Delete, path);
        Assert.Equal(HttpStatusCode.NotFound, again.Status);
        Assert.Equal("A157201", again.Str("resultCode"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await RegisterAsync(host, sid, created["token"]!.GetValue<string>())).Status);

        // A service token sees its own service's tokens only.
        var other = await ServiceAsync(admin);
        var scoped = await admin.CreateApiTokenAsync(other, Permissions.ClientRegistration);
        using var caller = host.CreateClient();
        caller.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", scoped.Token);
        Assert.NotEqual(HttpStatusCode.OK, (await caller.GetForReplyAsync($"/api/{sid}/registration/token/get/list")).Status);
        Assert.Equal(HttpStatusCode.OK, (await caller.GetForReplyAsync($"/api/{other}/registration/token/get/list")).Status);
    }

    [Fact]
    public async Task the_policy_and_authletes_dynamic_registration_flag_stay_in_agreement_and_contradictions_are_refused()
    {
        var (_, admin) = await StartHostAsync();
        var sid = await admin.CreateServiceAsync("""{"serviceName":"flags"}""");

        async Task<JsonObject> UpdateAsync(string body)
        {
            var reply = await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/service/update", Wire.Json(body));
            return reply.Json;
        }

        // A service that never mentions registration is closed, and its document says nothing about it.
        var created = (await admin.GetForReplyAsync($"/api/{sid}/service/get")).Json;
        Assert.False(created.ContainsKey("dynamicRegistrationSupported") || created.ContainsKey("clientRegistrationPolicy"));

        // An Authlete tool that knows only the flag: true opens with initial access tokens, false closes.
        var opened = await UpdateAsync("""{"serviceName":"flags","dynamicRegistrationSupported":true}""");
        Assert.Equal("INITIAL_ACCESS_TOKEN", opened["clientRegistrationPolicy"]!.GetValue<string>());

        // Read, change the policy, write it all back: the unchanged flag follows the policy.
        opened["clientRegistrationPolicy"] = "OPEN";
        var open = await UpdateAsync(opened.ToJsonString());
        Assert.Equal((true, "OPEN"), (open["dynamicRegistrationSupported"]!.GetValue<bool>(), open["clientRegistrationPolicy"]!.GetValue<string>()));
        open["clientRegistrationPolicy"] = "CLOSED";
        var closedAgain = await UpdateAsync(open.ToJsonString());
        Assert.True(closedAgain.ContainsKey("clientRegistrationPolicy"), closedAgain.ToJsonString());
        Assert.Equal((false, "CLOSED"), (closedAgain["dynamicRegistrationSupported"]!.GetValue<bool>(), closedAgain["clientRegistrationPolicy"]!.GetValue<string>()));

        // Said on create and disagreeing: refused, nothing created.
        var before = (await admin.GetForReplyAsync("/api/service/get/list?end=1000")).Int("totalCount");
        var contradictory = await admin.SendForReplyAsync(HttpMethod.Post, "/api/service/create",
            Wire.Json("""{"serviceName":"x","dynamicRegistrationSupported":false,"clientRegistrationPolicy":"OPEN"}"""));
        Assert.Equal("A110212", contradictory.Str("resultCode"));
        Assert.Equal(before, (await admin.GetForReplyAsync("/api/service/get/list?end=1000")).Int("totalCount"));

        // Both changed and disagreeing: refused, nothing changed; an unknown policy too.
        var contradiction = await UpdateAsync("""{"serviceName":"flags","dynamicRegistrationSupported":true,"clientRegistrationPolicy":"CLOSED"}""");
        Assert.Equal("A110212", contradiction["resultCode"]!.GetValue<string>());
        Assert.Equal("A110211", (await UpdateAsync("""{"serviceName":"flags","clientRegistrationPolicy":"SOMETIMES"}"""))["resultCode"]!.GetValue<string>());
        Assert.Equal("CLOSED", (await admin.GetForReplyAsync($"/api/{sid}/service/get")).Str("clientRegistrationPolicy"));

        // An Authlete-style update that leaves both out keeps the stored policy (an extension property).
        await UpdateAsync("""{"serviceName":"flags","clientRegistrationPolicy":"OPEN"}""");
        Assert.Equal("OPEN", (await UpdateAsync("""{"serviceName":"renamed"}"""))["clientRegistrationPolicy"]!.GetValue<string>());
    }

    // ---- a real client library ---------------------------------------------------------------------------

    [Fact]
    public async Task duende_identity_models_registration_client_registers_with_an_initial_access_token_and_gets_a_token_with_the_secret()
    {
        var (host, admin) = await StartHostAsync();
        var sid = await ServiceAsync(admin);
        var initial = await InitialTokenAsync(admin, sid);
        using var http = host.CreateClient();
        var discovery = await http.GetDiscoveryDocumentAsync(new DiscoveryDocumentRequest
        {
            Address = $"{http.BaseAddress}oauth2/{sid}",
            Policy = new DiscoveryPolicy { RequireHttps = false, ValidateEndpoints = false },
        });
        Assert.False(discovery.IsError, discovery.Error);
        Assert.NotNull(discovery.RegistrationEndpoint);

        var registration = await http.RegisterClientAsync(new DynamicClientRegistrationRequest
        {
            Address = discovery.RegistrationEndpoint,
            Token = initial,
            Document = new DynamicClientRegistrationDocument
            {
                ClientName = "duende",
                GrantTypes = { "client_credentials" },
                TokenEndpointAuthenticationMethod = "client_secret_post",
            },
        });
        Assert.False(registration.IsError, registration.Error + " " + registration.Raw);
        Assert.Equal(0, registration.ClientSecretExpiresAt);

        var token = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = discovery.TokenEndpoint,
            ClientId = registration.ClientId ?? "",
            ClientSecret = registration.ClientSecret,
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
        });
        Assert.False(token.IsError, token.Error);

        // The library reports RFC 7591 errors as such.
        var refused = await http.RegisterClientAsync(new DynamicClientRegistrationRequest
        {
            Address = discovery.RegistrationEndpoint,
            Token = initial,
            Document = new DynamicClientRegistrationDocument { RedirectUris = { new Uri("https://app.example/cb#fragment") } },
        });
        Assert.True(refused.IsError);
        Assert.Equal("invalid_redirect_uri", refused.Error);
    }
}

public sealed class SqliteRegistrationTests(Security.ClassStore<Security.SqliteAccess> store) : RegistrationSuite(store.Store), IClassFixture<Security.ClassStore<Security.SqliteAccess>>
{
    protected override Security.StoreAccess Access { get; } = new Security.SqliteAccess();
}

[RequiresPostgres]
public sealed class PostgresRegistrationTests(Security.ClassStore<Security.PostgresStoreAccess> store)
    : RegistrationSuite(store.Store), IClassFixture<Security.ClassStore<Security.PostgresStoreAccess>>
{
    protected override Security.StoreAccess Access { get; } = new Security.PostgresStoreAccess();
}
