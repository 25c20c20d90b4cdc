using System.Net;
using System.Text.Json.Nodes;
using Rekey.Contracts;

namespace Rekey.Tests.Api;

/// <summary>
/// Bearer authentication, permissions, API tokens, and the wall between services: a service token never reads or
/// changes another service, and answers do not reveal whether something exists behind that wall.
/// </summary>
public abstract partial class ApiSuite
{
    /// <summary>An endpoint: how to call it on a service (<c>{s}</c>), client (<c>{c}</c>) and token (<c>{t}</c>), and the permission it needs.</summary>
    private sealed record Endpoint(string Method, string Path, string? Json, string Permission);

    private static readonly Dictionary<string, Endpoint> Endpoints = new()
    {
        ["service/get"] = new("GET", "/api/{s}/service/get", null, Permissions.ServiceRead),
        ["service/get/list"] = new("GET", "/api/service/get/list", null, Permissions.ServiceRead),
        ["service/update"] = new("POST", "/api/{s}/service/update", """{"serviceName":"renamed"}""", Permissions.ServiceWrite),
        ["client/create"] = new("POST", "/api/{s}/client/create", """{"clientName":"new"}""", Permissions.ClientWrite),
        ["client/get"] = new("GET", "/api/{s}/client/get/{c}", null, Permissions.ClientRead),
        ["client/get/list"] = new("GET", "/api/{s}/client/get/list", null, Permissions.ClientRead),
        ["client/update"] = new("POST", "/api/{s}/client/update/{c}", """{"clientName":"renamed"}""", Permissions.ClientWrite),
        ["client/delete"] = new("DELETE", "/api/{s}/client/delete/{c}", null, Permissions.ClientWrite),
        ["client/lock_flag/update"] = new("POST", "/api/{s}/client/lock_flag/update/{c}", """{"clientLocked":true}""", Permissions.ClientWrite),
        ["client/secret/update"] = new("POST", "/api/{s}/client/secret/update/{c}", """{"clientSecret":"permitted"}""", Permissions.ClientSecretWrite),
        ["client/secret/refresh"] = new("GET", "/api/{s}/client/secret/refresh/{c}", null, Permissions.ClientSecretWrite),
        ["webhook/create"] = new("POST", "/api/{s}/webhook/create", """{"url":"https://hooks.example.com/rekey"}""", Permissions.WebhookWrite),
        ["webhook/get/list"] = new("GET", "/api/{s}/webhook/get/list", null, Permissions.WebhookRead),
        ["service/create"] = new("POST", "/api/service/create", """{"serviceName":"new"}""", Permissions.Admin),
        ["service/delete"] = new("DELETE", "/api/{s}/service/delete", null, Permissions.Admin),
        ["apitoken/create"] = new("POST", "/api/apitoken/create", """{"serviceId":{s},"permissions":["client.read"]}""", Permissions.Admin),
        ["apitoken/get/list"] = new("GET", "/api/apitoken/get/list", null, Permissions.Admin),
        ["apitoken/delete"] = new("DELETE", "/api/apitoken/delete/{t}", null, Permissions.Admin),
    };

    public static TheoryData<string> AllEndpoints => new(Endpoints.Keys);

    public static TheoryData<string> ServiceTokenEndpoints => new(Endpoints.Where(e => e.Value.Permission != Permissions.Admin).Select(e => e.Key));

    public static TheoryData<string> AdminEndpoints => new(Endpoints.Where(e => e.Value.Permission == Permissions.Admin).Select(e => e.Key));

    public static TheoryData<string> ServiceScopedEndpoints =>
        new(Endpoints.Where(e => e.Value.Permission != Permissions.Admin && e.Value.Path.Contains("{s}", StringComparison.Ordinal)).Select(e => e.Key));

    private static Task<Reply> CallAsync(string endpoint, HttpClient caller, long serviceId, long clientId = 123456789012, long tokenId = 123456789012)
    {
        var e = Endpoints[endpoint];
        string Fill(string s) => s.Replace("{s}", serviceId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{c}", clientId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{t}", tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        return caller.SendForReplyAsync(new HttpMethod(e.Method), Fill(e.Path), e.Json is null ? null : Body(JsonType, Fill(e.Json)));
    }

    // ---- 401 ---------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllEndpoints))]
    public async Task a_request_without_a_token_is_401_A000201_with_a_bearer_challenge(string endpoint)
    {
        var client = await Admin.CreateClientAsync();

        var reply = await CallAsync(endpoint, Anonymous(), client.ServiceId, client.ClientId);

        AssertResult(reply, HttpStatusCode.Unauthorized, ResultCodes.MissingAccessToken);
        Assert.Equal("Bearer realm=\"rekey\"", reply.Header("WWW-Authenticate"));
        Assert.Equal(client.Secret, await Admin.CurrentSecretAsync(client));
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Token test-admin-token-0123456789abcdef")]
    [InlineData("test-admin-token-0123456789abcdef")]
    public async Task an_authorization_header_without_a_bearer_token_is_401_A000201(string header)
    {
        var serviceId = await Admin.CreateServiceAsync();
        var caller = Anonymous();
        caller.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);

        var reply = await GetAsync($"/api/{serviceId}/service/get", caller);

        AssertResult(reply, HttpStatusCode.Unauthorized, ResultCodes.MissingAccessToken);
        Assert.Equal("Bearer realm=\"rekey\"", reply.Header("WWW-Authenticate"));
    }

    [Theory]
    [MemberData(nameof(AllEndpoints))]
    public async Task an_unknown_token_is_401_A000202_with_an_invalid_token_challenge(string endpoint)
    {
        var client = await Admin.CreateClientAsync();

        var reply = await CallAsync(endpoint, As("rk_not-a-token-that-exists"), client.ServiceId, client.ClientId);

        AssertResult(reply, HttpStatusCode.Unauthorized, ResultCodes.UnknownAccessToken);
        Assert.Equal("Bearer realm=\"rekey\", error=\"invalid_token\"", reply.Header("WWW-Authenticate"));
        Assert.Equal(client.Secret, await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task the_admin_token_with_different_case_or_a_suffix_is_unknown()
    {
        var serviceId = await Admin.CreateServiceAsync();

        AssertResult(await GetAsync($"/api/{serviceId}/service/get", As(RekeyHost.AdminToken.ToUpperInvariant())), HttpStatusCode.Unauthorized, ResultCodes.UnknownAccessToken);
        AssertResult(await GetAsync($"/api/{serviceId}/service/get", As(RekeyHost.AdminToken + "x")), HttpStatusCode.Unauthorized, ResultCodes.UnknownAccessToken);
    }

    [Fact]
    public async Task the_bearer_scheme_name_is_case_insensitive()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var caller = Anonymous();
        caller.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "bearer " + RekeyHost.AdminToken);

        AssertOk(await GetAsync($"/api/{serviceId}/service/get", caller));
    }

    // ---- 403: permissions --------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(ServiceTokenEndpoints))]
    public async Task a_token_with_every_permission_but_the_one_needed_is_403_A000203_and_changes_nothing(string endpoint)
    {
        var needed = Endpoints[endpoint].Permission;
        var client = await Admin.CreateClientAsync(json: """{"clientName":"guarded"}""");
        var before = await GetAsync(client.GetPath());
        var token = await TokenClientAsync(client.ServiceId, Permissions.Grantable.Where(p => p != needed).ToArray());

        var reply = await CallAsync(endpoint, token, client.ServiceId, client.ClientId);

        AssertResult(reply, HttpStatusCode.Forbidden, ResultCodes.PermissionDenied, needed);
        Assert.Equal($"[A000203] The access token lacks the permission '{needed}'.", reply.Str("resultMessage"));
        Assert.True(JsonNode.DeepEquals(before.Json, (await GetAsync(client.GetPath())).Json), "A refused call changed the client.");
    }

    [Theory]
    [MemberData(nameof(ServiceTokenEndpoints))]
    public async Task a_token_with_only_the_permission_needed_is_let_through(string endpoint)
    {
        var client = await Admin.CreateClientAsync();
        var token = await TokenClientAsync(client.ServiceId, Endpoints[endpoint].Permission);

        var reply = await CallAsync(endpoint, token, client.ServiceId, client.ClientId);

        Assert.True(reply.Status is HttpStatusCode.OK or HttpStatusCode.NoContent, $"{endpoint}: {reply}");
    }

    [Theory]
    [MemberData(nameof(AdminEndpoints))]
    public async Task a_service_token_with_every_permission_is_403_on_admin_endpoints(string endpoint)
    {
        var serviceId = await Admin.CreateServiceAsync();
        var (tokenId, _) = await Admin.CreateApiTokenAsync(serviceId, Permissions.ClientRead);
        var token = await TokenClientAsync(serviceId, [.. Permissions.Grantable]);

        var reply = await CallAsync(endpoint, token, serviceId, tokenId: tokenId);

        AssertResult(reply, HttpStatusCode.Forbidden, ResultCodes.PermissionDenied, Permissions.Admin);
        AssertOk(await GetAsync($"/api/{serviceId}/service/get"));
    }

    [Theory]
    [MemberData(nameof(AllEndpoints))]
    public async Task the_admin_token_is_let_through_everywhere(string endpoint)
    {
        var client = await Admin.CreateClientAsync();
        var (tokenId, _) = await Admin.CreateApiTokenAsync(client.ServiceId, Permissions.ClientRead);

        var reply = await CallAsync(endpoint, Admin, client.ServiceId, client.ClientId, tokenId);

        Assert.True(reply.Status is HttpStatusCode.OK or HttpStatusCode.NoContent, $"{endpoint}: {reply}");
    }

    // ---- 403: the wall between services ------------------------------------------------------------

    [Theory]
    [MemberData(nameof(ServiceScopedEndpoints))]
    public async Task a_service_token_is_403_A000204_on_another_services_paths_and_changes_nothing(string endpoint)
    {
        var mine = await Admin.CreateServiceAsync();
        var theirs = await Admin.CreateClientAsync(json: """{"clientName":"theirs"}""");
        var before = await GetAsync(theirs.GetPath());
        var token = await TokenClientAsync(mine, [.. Permissions.Grantable]);

        var reply = await CallAsync(endpoint, token, theirs.ServiceId, theirs.ClientId);

        AssertResult(reply, HttpStatusCode.Forbidden, ResultCodes.WrongService, theirs.ServiceId);
        Assert.True(JsonNode.DeepEquals(before.Json, (await GetAsync(theirs.GetPath())).Json), "A refused call changed another service's client.");
        AssertOk(await GetAsync($"/api/{theirs.ServiceId}/service/get"));
    }

    [Theory]
    [MemberData(nameof(ServiceScopedEndpoints))]
    public async Task a_service_token_gets_the_same_403_for_a_service_that_does_not_exist(string endpoint)
    {
        var mine = await Admin.CreateServiceAsync();
        var token = await TokenClientAsync(mine, [.. Permissions.Grantable]);

        var reply = await CallAsync(endpoint, token, 999_999_999_999);

        AssertResult(reply, HttpStatusCode.Forbidden, ResultCodes.WrongService, 999_999_999_999);
    }

    [Fact]
    public async Task a_service_token_is_403_for_a_service_id_that_is_not_a_number()
    {
        var mine = await Admin.CreateServiceAsync();
        var token = await TokenClientAsync(mine, [.. Permissions.Grantable]);

        AssertResult(await GetAsync("/api/not-a-number/service/get", token), HttpStatusCode.Forbidden, ResultCodes.WrongService, "not-a-number");
    }

    [Fact]
    public async Task another_services_client_is_404_under_my_service_path_for_my_token_and_for_the_admin()
    {
        var mine = await Admin.CreateClientAsync(json: """{"clientIdAlias":"same-alias"}""");
        var theirs = await Admin.CreateClientAsync(json: """{"clientIdAlias":"their-alias"}""");
        var token = await TokenClientAsync(mine.ServiceId, [.. Permissions.Grantable]);

        foreach (var caller in new[] { token, Admin })
        {
            foreach (var identifier in new[] { theirs.Id, "their-alias" })
            {
                var expected = new object[] { identifier, mine.ServiceId };
                AssertResult(await GetAsync(mine.GetPath(identifier), caller), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, expected);
                AssertResult(await PostJsonAsync(mine.SecretUpdatePath(identifier), """{"clientSecret":"crossing"}""", caller), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, expected);
                AssertResult(await GetAsync(mine.SecretRefreshPath(identifier), caller), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, expected);
                AssertResult(await PostJsonAsync(mine.UpdatePath(identifier), """{"clientName":"crossing"}""", caller), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, expected);
                AssertResult(await PostJsonAsync(mine.LockPath(identifier), """{"clientLocked":true}""", caller), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, expected);
                AssertResult(await DeleteAsync(mine.DeletePath(identifier), caller), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, expected);
            }
        }

        var after = await GetAsync(theirs.GetPath());
        Assert.True(JsonNode.DeepEquals(theirs.Created.Json, after.Json), "Another service's client was changed.");
        Assert.DoesNotContain(theirs.ClientId, ClientIdsOf(await GetAsync($"/api/{mine.ServiceId}/client/get/list", token)));
    }

    [Fact]
    public async Task a_service_token_can_manage_its_own_service()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var token = await TokenClientAsync(serviceId, [.. Permissions.Grantable]);

        var created = await PostJsonAsync($"/api/{serviceId}/client/create", """{"clientName":"by token"}""", token);
        AssertOk(created);
        var clientId = created.Int("clientId");
        AssertOk(await PostJsonAsync($"/api/{serviceId}/client/secret/update/{clientId}", """{"clientSecret":"by-token"}""", token));
        Assert.Equal("by-token", (await GetAsync($"/api/{serviceId}/client/get/{clientId}", token)).Str("clientSecret"));
        AssertOk(await PostJsonAsync($"/api/{serviceId}/service/update", """{"serviceName":"by token"}""", token));
        AssertNoContent(await DeleteAsync($"/api/{serviceId}/client/delete/{clientId}", token));
    }

    // ---- who sees secrets --------------------------------------------------------------------------

    [Fact]
    public async Task a_client_read_token_sees_client_documents_without_client_secret()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientName":"hidden secret","clientIdAlias":"hidden"}""");
        var reader = await TokenClientAsync(client.ServiceId, Permissions.ClientRead);

        var byId = await GetAsync(client.GetPath(), reader);
        var byAlias = await GetAsync(client.GetPath("hidden"), reader);
        var list = await GetAsync($"/api/{client.ServiceId}/client/get/list", reader);

        foreach (var reply in new[] { byId, byAlias })
        {
            AssertOk(reply);
            Assert.False(reply.Has("clientSecret"));
            Assert.Equal("hidden secret", reply.Str("clientName"));
            Assert.DoesNotContain(client.Secret, reply.Text, StringComparison.Ordinal);
        }

        Assert.All(list.Objects("clients"), c => Assert.False(c.ContainsKey("clientSecret")));
        Assert.DoesNotContain(client.Secret, list.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_client_write_token_without_secret_read_gets_documents_without_client_secret()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var writer = await TokenClientAsync(serviceId, Permissions.ClientWrite);

        var created = await PostJsonAsync($"/api/{serviceId}/client/create", """{"clientName":"blind"}""", writer);
        AssertOk(created);
        Assert.False(created.Has("clientSecret"));
        var updated = await PostJsonAsync($"/api/{serviceId}/client/update/{created.Int("clientId")}", """{"clientName":"still blind"}""", writer);
        AssertOk(updated);
        Assert.False(updated.Has("clientSecret"));
        var stored = (await GetAsync($"/api/{serviceId}/client/get/{created.Int("clientId")}")).Str("clientSecret");
        JsonWire.AssertGeneratedSecret(stored);
    }

    [Fact]
    public async Task a_token_with_client_secret_read_sees_the_secret()
    {
        var client = await Admin.CreateClientAsync();
        var reader = await TokenClientAsync(client.ServiceId, Permissions.ClientRead, Permissions.ClientSecretRead);

        Assert.Equal(client.Secret, (await GetAsync(client.GetPath(), reader)).Str("clientSecret"));
        Assert.Equal(client.Secret, (await GetAsync($"/api/{client.ServiceId}/client/get/list", reader)).Objects("clients")[0]["clientSecret"]?.GetValue<string>());
    }

    [Fact]
    public async Task a_secret_write_token_without_secret_read_still_gets_both_secrets_from_update_and_refresh()
    {
        // The update and refresh answers carry the secrets by definition (Authlete's shape); only documents hide them.
        var client = await Admin.CreateClientAsync();
        var writer = await TokenClientAsync(client.ServiceId, Permissions.ClientSecretWrite);

        var updated = await PostJsonAsync(client.SecretUpdatePath(), """{"clientSecret":"write-only"}""", writer);
        var refreshed = await GetAsync(client.SecretRefreshPath(), writer);

        Assert.Equal(client.Secret, updated.Str("oldClientSecret"));
        Assert.Equal("write-only", refreshed.Str("oldClientSecret"));
        Assert.Equal(refreshed.Str("newClientSecret"), await Admin.CurrentSecretAsync(client));
    }

    // ---- API tokens --------------------------------------------------------------------------------

    [Fact]
    public async Task api_token_create_returns_the_token_value_once_and_the_list_never_shows_it()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var created = await PostJsonAsync("/api/apitoken/create",
            $$"""{"serviceId":{{serviceId}},"permissions":["client.read","client.read","service.read"],"description":"ci pipeline"}""");

        AssertOk(created);
        AssertProperties(created, "tokenId", "serviceId", "permissions", "description", "createdAt", "token");
        var token = created.Str("token");
        Assert.StartsWith("rk_", token, StringComparison.Ordinal);
        Assert.True(token.Length >= 40, token);
        var tokenId = JsonWire.AssertId(created.Json["tokenId"], "tokenId");
        Assert.Equal(serviceId, created.Int("serviceId"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""["client.read","service.read"]"""), created.Json["permissions"]), created.Text);
        Assert.Equal("ci pipeline", created.Str("description"));
        JsonWire.AssertRecentEpochMs(created.Json["createdAt"], "createdAt");

        var total = (await GetAsync("/api/apitoken/get/list?start=0&end=0")).Int("totalCount");
        var list = await GetAsync($"/api/apitoken/get/list?start=0&end={total}");
        AssertOk(list);
        AssertProperties(list, "start", "end", "totalCount", "apiTokens");
        var listed = Assert.Single(list.Objects("apiTokens"), t => t["tokenId"]?.ToString() == tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("createdAt description permissions serviceId tokenId", string.Join(" ", listed.Select(p => p.Key).Order(StringComparer.Ordinal)));
        Assert.All(list.Objects("apiTokens"), t => Assert.False(t.ContainsKey("token")));
        Assert.DoesNotContain(token, list.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_deleted_api_token_stops_working_at_once()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var (tokenId, token) = await Admin.CreateApiTokenAsync(serviceId, Permissions.ServiceRead);
        var caller = As(token);
        AssertOk(await GetAsync($"/api/{serviceId}/service/get", caller));

        AssertNoContent(await DeleteAsync($"/api/apitoken/delete/{tokenId}"));

        var reply = await GetAsync($"/api/{serviceId}/service/get", caller);
        AssertResult(reply, HttpStatusCode.Unauthorized, ResultCodes.UnknownAccessToken);
        Assert.Equal("Bearer realm=\"rekey\", error=\"invalid_token\"", reply.Header("WWW-Authenticate"));
        AssertResult(await DeleteAsync($"/api/apitoken/delete/{tokenId}"), HttpStatusCode.NotFound, ResultCodes.ApiTokenNotFound, tokenId);
        var list = await GetAsync($"/api/apitoken/get/list?start=0&end=1000");
        Assert.DoesNotContain(list.Objects("apiTokens"), t => t["tokenId"]?.ToString() == tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task deleting_one_api_token_leaves_the_others_working()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var (doomed, _) = await Admin.CreateApiTokenAsync(serviceId, Permissions.ServiceRead);
        var (_, kept) = await Admin.CreateApiTokenAsync(serviceId, Permissions.ServiceRead);

        AssertNoContent(await DeleteAsync($"/api/apitoken/delete/{doomed}"));

        AssertOk(await GetAsync($"/api/{serviceId}/service/get", As(kept)));
    }

    [Theory]
    [InlineData("999999999999")]
    [InlineData("not-a-number")]
    public async Task deleting_an_unknown_api_token_is_404(string tokenId) =>
        AssertResult(await DeleteAsync($"/api/apitoken/delete/{tokenId}"), HttpStatusCode.NotFound, ResultCodes.ApiTokenNotFound, tokenId);

    [Theory]
    [InlineData("""{"serviceId":{s},"permissions":[]}""", "A160202")]
    [InlineData("""{"serviceId":{s}}""", "A160202")]
    [InlineData("""{"serviceId":{s},"permissions":["client.read","client.delete"]}""", "A160202")]
    [InlineData("""{"serviceId":{s},"permissions":["admin"]}""", "A160202")]
    [InlineData("""{"serviceId":{s},"permissions":[null]}""", "A160202")]
    [InlineData("""{"serviceId":999999999999,"permissions":["client.read"]}""", "A160201")]
    [InlineData("""{"permissions":["client.read"]}""", "A160201")]
    [InlineData("""{"serviceId":"{s}","permissions":["client.read"]}""", "A000213")]
    [InlineData("""{"serviceId":{s},"permissions":"client.read"}""", "A000213")]
    [InlineData("""{"serviceId":{s},"permissions":["client.read"],"description":"{201}"}""", "A160203")]
    [InlineData("", "A000209")]
    public async Task api_token_create_that_breaks_a_rule_is_rejected_and_creates_nothing(string template, string code)
    {
        var serviceId = await Admin.CreateServiceAsync();
        var before = (await GetAsync("/api/apitoken/get/list?start=0&end=0")).Int("totalCount");
        var json = template.Replace("{s}", serviceId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{201}", new string('d', 201), StringComparison.Ordinal);

        var reply = await PostJsonAsync("/api/apitoken/create", json);

        var expected = ResultCodes.All.Single(c => c.Code == code);
        AssertResultCode(reply, HttpStatusCode.BadRequest, expected);
        Assert.Equal(before, (await GetAsync("/api/apitoken/get/list?start=0&end=0")).Int("totalCount"));
    }
}
