using System.Net;
using System.Text.Json.Nodes;

namespace Rekey.Tests.OAuth;

/// <summary>
/// Authlete's /auth/introspection/standard, per-client requestable scopes (client/extension/requestable_scopes/*) as
/// the token endpoints enforce them, and the end-user grant families Rekey answers with A127101.
/// </summary>
public abstract partial class OAuthSuite
{
    private Task<(HttpStatusCode Status, JsonObject Body)> StandardIntrospectionAsync(long serviceId, string parameters) =>
        Admin.PostForJsonAsync($"/api/{serviceId}/auth/introspection/standard", Wire.Json(new JsonObject { ["parameters"] = parameters }.ToJsonString()));

    [Fact]
    public async Task standard_introspection_relays_the_rfc7662_answer_of_the_oauth2_endpoint()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client, scope: "read");
        var bindings = new Dictionary<string, string> { ["<issuer>"] = Issuer(sid), ["<client>"] = client.Id };

        var (status, body) = await StandardIntrospectionAsync(sid, "token=" + token + "&token_type_hint=access_token");
        Assert.Equal(HttpStatusCode.OK, status);
        OAuthGolden.AssertMatches("auth-introspection-standard-active.json", body, bindings);
        var direct = await IntrospectAsync(sid, client, token);
        Assert.Equal(direct.Json.ToJsonString(), JsonNode.Parse(body["responseContent"]!.GetValue<string>())!.ToJsonString());

        var (_, inactive) = await StandardIntrospectionAsync(sid, "token=" + Jwt.WithAlteredSignature(token));
        OAuthGolden.AssertMatches("auth-introspection-standard-inactive.json", inactive);

        var (_, missing) = await StandardIntrospectionAsync(sid, "token_type_hint=access_token");
        OAuthGolden.AssertMatches("auth-introspection-standard-no-token.json", missing);

        var (noParameters, refused) = await Admin.PostForJsonAsync($"/api/{sid}/auth/introspection/standard", Wire.Json("{}"));
        Assert.Equal(HttpStatusCode.BadRequest, noParameters);
        Assert.Equal("A057201", refused["resultCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task requestable_scopes_are_set_read_enforced_by_the_token_endpoint_and_deleted()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: "scoped-" + sid));
        var scopes = $"/api/{sid}/client/extension/requestable_scopes";

        var (before, none) = await Admin.GetForJsonAsync($"{scopes}/get/{client.ClientId}");
        Assert.Equal(HttpStatusCode.OK, before);
        Assert.Equal("{}", none.ToJsonString());

        var (updated, set) = await Admin.SendForJsonAsync(HttpMethod.Put, $"{scopes}/update/{client.Alias}", Wire.Json("""{"requestableScopes":["read","write"]}"""));
        Assert.Equal(HttpStatusCode.OK, updated);
        OAuthGolden.AssertMatches("client-requestable-scopes.json", set);
        var (_, read) = await Admin.GetForJsonAsync($"{scopes}/get/{client.ClientId}");
        OAuthGolden.AssertMatches("client-requestable-scopes.json", read);

        AssertIssued(await TokenAsync(client, scope: "read write"));
        AssertOAuthError(await TokenAsync(client, scope: "read admin"), HttpStatusCode.BadRequest, "invalid_scope");
        Assert.Equal("read", (await TokenAsync(client)).Json["scope"]!.GetValue<string>());

        // Only the default entries the client may request: none left once read is not requestable.
        _ = await Admin.PostForJsonAsync($"{scopes}/update/{client.ClientId}", Wire.Json("""{"requestableScopes":["admin"]}"""));
        Assert.Null((await TokenAsync(client)).Json["scope"]);
        AssertOAuthError(await TokenAsync(client, scope: "read"), HttpStatusCode.BadRequest, "invalid_scope");

        var deleted = await SendAsync(Admin, HttpMethod.Delete, $"{Origin}{scopes}/delete/{client.ClientId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        AssertIssued(await TokenAsync(client, scope: "read admin"));
        var (_, after) = await Admin.GetForJsonAsync($"{scopes}/get/{client.ClientId}");
        Assert.Equal("{}", after.ToJsonString());
    }

    [Theory]
    [InlineData("""{"requestableScopes":"read"}""")]
    [InlineData("""{"requestableScopes":["read write"]}""")]
    [InlineData("""{"requestableScopes":[1]}""")]
    [InlineData("""{}""")]
    public async Task requestable_scopes_that_are_not_an_array_of_scope_tokens_are_refused_and_nothing_changes(string body)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var (status, refused) = await Admin.PostForJsonAsync($"/api/{sid}/client/extension/requestable_scopes/update/{client.ClientId}", Wire.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("A126201", refused["resultCode"]!.GetValue<string>());
        AssertIssued(await TokenAsync(client, scope: "admin"));
    }

    [Theory]
    [InlineData("GET", "authorization/get/list")]
    [InlineData("POST", "authorization/get/list")]
    [InlineData("GET", "authorization/get/list/alice")]
    [InlineData("POST", "authorization/update/{client}")]
    [InlineData("DELETE", "authorization/delete/{client}")]
    [InlineData("POST", "authorization/delete/{client}")]
    [InlineData("DELETE", "authorization/delete/{client}/alice")]
    [InlineData("GET", "granted_scopes/get/{client}")]
    [InlineData("POST", "granted_scopes/get/{client}")]
    [InlineData("GET", "granted_scopes/get/{client}/alice")]
    [InlineData("DELETE", "granted_scopes/delete/{client}")]
    [InlineData("DELETE", "granted_scopes/delete/{client}/alice")]
    public async Task end_user_grant_routes_answer_501_with_a_code_that_says_rekey_has_none(string method, string route)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var reply = await SendAsync(Admin, new HttpMethod(method), $"{Origin}/api/{sid}/client/{route.Replace("{client}", client.Id, StringComparison.Ordinal)}");

        Assert.Equal(HttpStatusCode.NotImplemented, reply.Status);
        OAuthGolden.AssertMatches("client-no-end-user-grants.json", reply.Json, new Dictionary<string, string>
        {
            ["<message>"] = $"[A127101] Rekey keeps no end-user grants (it has only the client credentials grant), so 'client/{route.Split('/')[0]}/*' is not available.",
        });
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(Anonymous, new HttpMethod(method), $"{Origin}/api/{sid}/client/{route}")).Status);
    }
}
