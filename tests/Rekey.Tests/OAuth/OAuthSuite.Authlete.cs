using System.Net;
using System.Text.Json.Nodes;

namespace Rekey.Tests.OAuth;

/// <summary>
/// Authlete's /auth/token and /auth/introspection: the same token issuer and introspector as the standard
/// endpoints, in Authlete's envelope (HTTP 200, an action, and the responseContent the authorization server relays).
/// </summary>
public abstract partial class OAuthSuite
{
    private Task<(HttpStatusCode Status, JsonObject Body)> AuthTokenAsync(long serviceId, JsonObject request) =>
        Admin.PostForJsonAsync($"/api/{serviceId}/auth/token", Wire.Json(request.ToJsonString()));

    private Task<(HttpStatusCode Status, JsonObject Body)> AuthIntrospectionAsync(long serviceId, JsonObject request) =>
        Admin.PostForJsonAsync($"/api/{serviceId}/auth/introspection", Wire.Json(request.ToJsonString()));

    /// <summary>As an authorization server relays a Basic-authenticated client_credentials request.</summary>
    private static JsonObject BasicTokenRequest(TestClient client, string parameters, string? secret = null) => new()
    {
        ["parameters"] = parameters,
        ["clientId"] = client.Id,
        ["clientSecret"] = secret ?? client.Secret,
    };

    private Dictionary<string, string> Bindings(long serviceId) => new() { ["<issuer>"] = Issuer(serviceId) };

    [Fact]
    public async Task auth_token_issues_a_token_in_authlete_envelope_matching_the_golden_file()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: "batch-job"));
        var now = Time.GetUtcNow().ToUnixTimeSeconds();

        var (status, body) = await AuthTokenAsync(sid, BasicTokenRequest(client, "grant_type=client_credentials&scope=read+write"));

        Assert.Equal(HttpStatusCode.OK, status);
        OAuthGolden.AssertMatches("auth-token-ok.json", body, Bindings(sid));
        Assert.Equal(client.ClientId, body["clientId"]!.GetValue<long>());
        Assert.Equal(client.Id, body["subject"]!.GetValue<string>());
        Assert.Equal((now + 3600) * 1000, body["accessTokenExpiresAt"]!.GetValue<long>());
        var content = JsonNode.Parse(body["responseContent"]!.GetValue<string>())!.AsObject();
        Assert.Equal(body["accessToken"]!.GetValue<string>(), content["access_token"]!.GetValue<string>());
        Assert.Equal(body["accessToken"]!.GetValue<string>(), body["jwtAccessToken"]!.GetValue<string>());
        Assert.Equal(now + 3600, Jwt.Decode(content["access_token"]!.GetValue<string>()).Payload["exp"]!.GetValue<long>());
    }

    [Fact]
    public async Task auth_token_response_content_is_byte_for_byte_what_the_token_endpoint_sends()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var standard = await TokenAsync(client, scope: "write");
        var (_, envelope) = await AuthTokenAsync(sid, BasicTokenRequest(client, "grant_type=client_credentials&scope=write"));

        // Two tokens differ only in jti: with the token itself masked, the bodies are the same text.
        var relayed = envelope["responseContent"]!.GetValue<string>();
        Assert.Equal(
            standard.Text.Replace(standard.Json["access_token"]!.GetValue<string>(), "<token>", StringComparison.Ordinal),
            relayed.Replace(envelope["accessToken"]!.GetValue<string>(), "<token>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task auth_token_with_a_wrong_secret_is_invalid_client_with_the_token_endpoints_error_body()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: "batch-job"));

        var (status, body) = await AuthTokenAsync(sid, BasicTokenRequest(client, "grant_type=client_credentials", secret: "wrong"));
        var standard = await TokenAsync(client, secret: "wrong");

        Assert.Equal(HttpStatusCode.OK, status);
        OAuthGolden.AssertMatches("auth-token-invalid-client.json", body);
        Assert.Equal(standard.Text, body["responseContent"]!.GetValue<string>());
    }

    [Fact]
    public async Task auth_token_accepts_client_secret_post_inside_the_parameters_and_reports_the_alias_used()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: "post-job", method: "CLIENT_SECRET_POST"));

        var (_, body) = await AuthTokenAsync(sid, new JsonObject
        {
            ["parameters"] = $"grant_type=client_credentials&client_id=post-job&client_secret={client.Secret}",
        });

        Assert.Equal("OK", body["action"]!.GetValue<string>());
        Assert.Equal("CLIENT_SECRET_POST", body["clientAuthMethod"]!.GetValue<string>());
        Assert.True(body["clientIdAliasUsed"]!.GetValue<bool>());
        Assert.Equal(client.ClientId, body["clientId"]!.GetValue<long>());
        Assert.Equal(["read"], body["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
    }

    [Theory]
    [InlineData("password", "unsupported_grant_type")]
    [InlineData("authorization_code", "unsupported_grant_type")]
    [InlineData("refresh_token", "unsupported_grant_type")]
    public async Task auth_token_with_another_grant_type_is_bad_request(string grantType, string error)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var (status, body) = await AuthTokenAsync(sid, BasicTokenRequest(client, "grant_type=" + grantType));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("A050302", body["resultCode"]!.GetValue<string>());
        Assert.Equal("BAD_REQUEST", body["action"]!.GetValue<string>());
        Assert.Equal(error, JsonNode.Parse(body["responseContent"]!.GetValue<string>())!["error"]!.GetValue<string>());
        Assert.Null(body["accessToken"]);
    }

    [Theory]
    [InlineData("grant_type=client_credentials&scope=bogus", "A050305", "invalid_scope")]
    [InlineData("scope=read", "A050303", "invalid_request")]
    [InlineData("grant_type=client_credentials&grant_type=client_credentials", "A050303", "invalid_request")]
    public async Task auth_token_refusals_after_authentication_are_bad_request_with_the_rfc6749_error(string parameters, string code, string error)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var (_, body) = await AuthTokenAsync(sid, BasicTokenRequest(client, parameters));

        Assert.Equal(code, body["resultCode"]!.GetValue<string>());
        Assert.Equal("BAD_REQUEST", body["action"]!.GetValue<string>());
        Assert.Equal(error, JsonNode.Parse(body["responseContent"]!.GetValue<string>())!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task auth_token_without_parameters_is_400_a050201()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var (status, body) = await AuthTokenAsync(sid, new JsonObject { ["clientId"] = client.Id, ["clientSecret"] = client.Secret });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("A050201", body["resultCode"]!.GetValue<string>());
        Assert.Equal("[A050201] The request has no 'parameters'.", body["resultMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task auth_endpoints_require_the_bearer_token()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        var token = await SendAsync(Anonymous, HttpMethod.Post, $"/api/{sid}/auth/token", Wire.Json("""{"parameters":"grant_type=client_credentials"}"""));
        var introspection = await SendAsync(Anonymous, HttpMethod.Post, $"/api/{sid}/auth/introspection", Wire.Json("""{"token":"x"}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, token.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, introspection.Status);
    }

    [Fact]
    public async Task auth_introspection_of_an_active_token_is_ok_matching_the_golden_file()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: "batch-job"));
        var now = Time.GetUtcNow().ToUnixTimeSeconds();
        var token = await AccessTokenAsync(client, scope: "read");

        var (status, body) = await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = token });

        Assert.Equal(HttpStatusCode.OK, status);
        OAuthGolden.AssertMatches("auth-introspection-ok.json", body, Bindings(sid));
        Assert.Equal(client.ClientId, body["clientId"]!.GetValue<long>());
        Assert.Equal(client.Id, body["subject"]!.GetValue<string>());
        Assert.Equal((now + 3600) * 1000, body["expiresAt"]!.GetValue<long>());
    }

    [Fact]
    public async Task auth_introspection_of_an_expired_token_is_unauthorized_matching_the_golden_file()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);

        Time.Advance(TimeSpan.FromSeconds(3600));
        var (status, body) = await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = token });

        Assert.Equal(HttpStatusCode.OK, status);
        OAuthGolden.AssertMatches("auth-introspection-inactive.json", body);
    }

    [Fact]
    public async Task auth_introspection_of_a_forged_or_foreign_token_is_unauthorized_invalid_token()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var other = await Admin.CreateServiceAsync(ScopedService);
        var token = await AccessTokenAsync(await Admin.CreateClientAsync(sid, OAuthClient()));
        var foreign = await AccessTokenAsync(await Admin.CreateClientAsync(other, OAuthClient()));

        foreach (var bad in new[] { Jwt.WithAlteredSignature(token), Jwt.WithPayload(token, p => p["exp"] = 4102444800), foreign, "not-a-jwt" })
        {
            var (_, body) = await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = bad });
            Assert.Equal("UNAUTHORIZED", body["action"]!.GetValue<string>());
            Assert.Equal("Bearer error=\"invalid_token\", error_description=\"The access token is not active.\"", body["responseContent"]!.GetValue<string>());
        }

        Assert.Equal("OK", (await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = token })).Body["action"]!.GetValue<string>());
    }

    [Fact]
    public async Task auth_introspection_with_required_scopes_not_covered_is_forbidden_insufficient_scope()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var token = await AccessTokenAsync(await Admin.CreateClientAsync(sid, OAuthClient()), scope: "read");

        var (_, covered) = await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = token, ["scopes"] = new JsonArray("read") });
        var (_, body) = await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = token, ["scopes"] = new JsonArray("read", "write") });

        Assert.Equal("OK", covered["action"]!.GetValue<string>());
        Assert.Equal("A056302", body["resultCode"]!.GetValue<string>());
        Assert.Equal("FORBIDDEN", body["action"]!.GetValue<string>());
        Assert.False(body["sufficient"]!.GetValue<bool>());
        Assert.Equal("Bearer error=\"insufficient_scope\", error_description=\"The access token does not cover the required scopes.\", scope=\"read write\"",
            body["responseContent"]!.GetValue<string>());
    }

    [Fact]
    public async Task auth_introspection_with_another_required_subject_is_forbidden()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);

        var (_, same) = await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = token, ["subject"] = client.Id });
        var (_, other) = await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = token, ["subject"] = "someone-else" });

        Assert.Equal("OK", same["action"]!.GetValue<string>());
        Assert.Equal("FORBIDDEN", other["action"]!.GetValue<string>());
        Assert.StartsWith("Bearer error=\"insufficient_scope\"", other["responseContent"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task auth_introspection_challenge_never_carries_quotes_or_line_breaks_from_the_required_scopes()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var token = await AccessTokenAsync(await Admin.CreateClientAsync(sid, OAuthClient()), scope: "read");

        var (_, body) = await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = token, ["scopes"] = new JsonArray("read", "x\"\r\nSet-Cookie: a=b") });

        Assert.Equal("FORBIDDEN", body["action"]!.GetValue<string>());
        var challenge = body["responseContent"]!.GetValue<string>();
        Assert.DoesNotContain('\r', challenge);
        Assert.DoesNotContain('\n', challenge);
        var scopeValue = challenge[(challenge.IndexOf("scope=\"", StringComparison.Ordinal) + 7)..^1];
        Assert.DoesNotContain('"', scopeValue);
        Assert.DoesNotContain('\\', scopeValue);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"token":""}""")]
    public async Task auth_introspection_without_a_token_is_bad_request(string request)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        var (status, body) = await Admin.PostForJsonAsync($"/api/{sid}/auth/introspection", Wire.Json(request));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("A056201", body["resultCode"]!.GetValue<string>());
        Assert.Equal("BAD_REQUEST", body["action"]!.GetValue<string>());
        Assert.StartsWith("Bearer error=\"invalid_request\"", body["responseContent"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_token_from_auth_token_is_active_at_the_standard_introspection_endpoint_and_vice_versa()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var (_, envelope) = await AuthTokenAsync(sid, BasicTokenRequest(client, "grant_type=client_credentials"));
        var fromAuthlete = envelope["accessToken"]!.GetValue<string>();
        var fromStandard = await AccessTokenAsync(client);

        var standardView = await IntrospectAsync(sid, client, fromAuthlete);
        var (_, authleteView) = await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = fromStandard });

        Assert.True(standardView.Json["active"]!.GetValue<bool>(), standardView.Text);
        Assert.Equal(client.Id, standardView.Json["client_id"]!.GetValue<string>());
        Assert.Equal("OK", authleteView["action"]!.GetValue<string>());
        Assert.Equal(client.ClientId, authleteView["clientId"]!.GetValue<long>());
        Assert.Equal(Jwt.Decode(fromStandard).Payload["exp"]!.GetValue<long>() * 1000, authleteView["expiresAt"]!.GetValue<long>());
    }

    [Fact]
    public async Task auth_token_for_an_unknown_service_is_a_service_error()
    {
        var (status, body) = await Admin.PostForJsonAsync("/api/123456789012345/auth/token", Wire.Json("""{"parameters":"grant_type=client_credentials"}"""));

        Assert.NotEqual(HttpStatusCode.OK, status);
        Assert.False(string.IsNullOrEmpty(body["resultCode"]?.GetValue<string>()));
        Assert.Null(body["action"]);
        Assert.StartsWith($"[{body["resultCode"]}] ", body["resultMessage"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
