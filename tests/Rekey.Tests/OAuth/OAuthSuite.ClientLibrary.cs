using System.Net;
using Duende.IdentityModel.Client;

namespace Rekey.Tests.OAuth;

/// <summary>A real OAuth client library (Duende.IdentityModel) against the standard endpoints, over real HTTP.</summary>
public abstract partial class OAuthSuite
{
    /// <summary>
    /// The library appends its discovery path to the address it is given (the OpenID form, issuer + path), while
    /// RFC 8414 §3.1 inserts the well-known segment before the issuer's path. So the request names the full RFC 8414
    /// URL, the path tells the library where the issuer ends, and the policy's authority is the issuer it must check.
    /// </summary>
    protected DiscoveryDocumentRequest Discovery(long serviceId) => new()
    {
        Address = MetadataUrl(serviceId),
        Policy = new DiscoveryPolicy
        {
            Authority = Issuer(serviceId),
            DiscoveryDocumentPath = $"/.well-known/oauth-authorization-server/oauth2/{serviceId}",
            RequireHttps = true,
            AllowHttpOnLoopback = true,
        },
    };

    private async Task<DiscoveryDocumentResponse> DiscoverAsync(long serviceId)
    {
        var document = await Anonymous.GetDiscoveryDocumentAsync(Discovery(serviceId));
        Assert.False(document.IsError, document.Error);
        return document;
    }

    private async Task<TokenResponse> LibraryTokenAsync(long serviceId, string clientId, string secret, ClientCredentialStyle style, string? scope = null,
        BasicAuthenticationHeaderStyle headerStyle = BasicAuthenticationHeaderStyle.Rfc6749)
    {
        var discovered = await DiscoverAsync(serviceId);
        return await Anonymous.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = discovered.TokenEndpoint,
            ClientId = clientId,
            ClientSecret = secret,
            ClientCredentialStyle = style,
            AuthorizationHeaderStyle = headerStyle,
            Scope = scope,
        });
    }

    private Task<TokenIntrospectionResponse> LibraryIntrospectAsync(long serviceId, TestClient by, string token, string? secret = null) =>
        Anonymous.IntrospectTokenAsync(new TokenIntrospectionRequest
        {
            Address = IntrospectionEndpoint(serviceId),
            ClientId = by.Id,
            ClientSecret = secret ?? by.Secret,
            Token = token,
        });

    [Fact]
    public async Task discovery_at_the_rfc8414_url_gives_issuer_endpoints_and_the_signing_key()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        var document = await DiscoverAsync(sid);

        Assert.Equal(Issuer(sid), document.Issuer);
        Assert.Equal(TokenEndpoint(sid), document.TokenEndpoint);
        Assert.Equal(IntrospectionEndpoint(sid), document.IntrospectionEndpoint);
        Assert.Equal(Issuer(sid) + "/jwks", document.JwksUri);
        Assert.Equal(["client_credentials"], document.GrantTypesSupported);
        Assert.Equal(["client_secret_basic", "client_secret_post", "client_secret_jwt"], document.TokenEndpointAuthenticationMethodsSupported);
        Assert.Equal(["read", "write", "admin"], document.ScopesSupported);
        var key = Assert.Single(document.KeySet?.Keys ?? []);
        Assert.Equal(("EC", "P-256", "ES256", "sig"), (key.Kty, key.Crv, key.Alg, key.Use));
        Assert.False(string.IsNullOrEmpty(key.Kid));
    }

    [Fact]
    public async Task discovery_checks_the_issuer_so_a_document_of_another_service_is_refused()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var other = await Admin.CreateServiceAsync(ScopedService);
        var request = Discovery(sid);
        request.Address = MetadataUrl(other);
        request.Policy.DiscoveryDocumentPath = $"/.well-known/oauth-authorization-server/oauth2/{other}";

        var document = await Anonymous.GetDiscoveryDocumentAsync(request);

        Assert.True(document.IsError);
        Assert.Contains("Issuer name does not match authority", document.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ClientCredentialStyle.AuthorizationHeader, false)]
    [InlineData(ClientCredentialStyle.AuthorizationHeader, true)]
    [InlineData(ClientCredentialStyle.PostBody, false)]
    [InlineData(ClientCredentialStyle.PostBody, true)]
    public async Task library_gets_a_token_with_its_registered_method_by_numeric_id_or_alias(ClientCredentialStyle style, bool byAlias)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: "reporting-job", method: style == ClientCredentialStyle.PostBody ? "CLIENT_SECRET_POST" : "CLIENT_SECRET_BASIC"));

        var token = await LibraryTokenAsync(sid, byAlias ? "reporting-job" : client.Id, client.Secret, style, scope: "read write");

        Assert.False(token.IsError, token.Raw);
        Assert.Equal("Bearer", token.TokenType);
        Assert.Equal(3600, token.ExpiresIn);
        Assert.Equal("read write", token.Scope);
        var (_, payload) = Jwt.Decode(token.AccessToken ?? "");
        Assert.Equal(client.Id, payload["client_id"]!.GetValue<string>());
        Assert.Equal(client.Id, payload["sub"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(ClientCredentialStyle.AuthorizationHeader)]
    [InlineData(ClientCredentialStyle.PostBody)]
    public async Task without_scope_the_token_carries_the_default_entries_of_the_service(ClientCredentialStyle style)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(method: style == ClientCredentialStyle.PostBody ? "CLIENT_SECRET_POST" : "CLIENT_SECRET_BASIC"));

        var token = await LibraryTokenAsync(sid, client.Id, client.Secret, style);

        Assert.False(token.IsError, token.Raw);
        Assert.Equal("read", token.Scope);
        Assert.Equal("read", Jwt.Decode(token.AccessToken ?? "").Payload["scope"]!.GetValue<string>());
    }

    [Fact]
    public async Task without_scope_and_without_default_entries_the_token_has_no_scope()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"no defaults","supportedScopes":[{"name":"read"}]}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var token = await LibraryTokenAsync(sid, client.Id, client.Secret, ClientCredentialStyle.AuthorizationHeader);

        Assert.False(token.IsError, token.Raw);
        Assert.Null(token.Scope);
        Assert.False(Jwt.Decode(token.AccessToken ?? "").Payload.ContainsKey("scope"));
    }

    [Theory]
    [InlineData("svc:reports@example.com")]
    [InlineData("a:b:c")]
    [InlineData("team@batch.~job")]
    public async Task alias_with_colon_or_at_sign_is_form_urlencoded_by_the_library_and_decoded_by_the_server(string alias)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: alias));
        await Admin.UpdateSecretAsync(client.ServiceId, client.ClientId, "Secret-with_dash-and_underscore-42", grace: 0);

        var token = await LibraryTokenAsync(sid, alias, "Secret-with_dash-and_underscore-42", ClientCredentialStyle.AuthorizationHeader, scope: "read");

        Assert.False(token.IsError, token.Raw);
        Assert.Equal(client.Id, Jwt.Decode(token.AccessToken ?? "").Payload["client_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task alias_with_colon_sent_without_form_urlencoding_is_split_at_the_first_colon_and_refused()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: "svc:reports"));

        // RFC 2617 style: no form-urlencoding, so the server reads ID "svc" and secret "reports:<secret>".
        var token = await LibraryTokenAsync(sid, "svc:reports", client.Secret, ClientCredentialStyle.AuthorizationHeader, headerStyle: BasicAuthenticationHeaderStyle.Rfc2617);

        Assert.True(token.IsError);
        Assert.Equal(HttpStatusCode.Unauthorized, token.HttpStatusCode);
        Assert.Equal("invalid_client", token.Json?.GetProperty("error").GetString());
    }

    [Fact]
    public async Task library_introspects_an_active_token_with_scope_client_exp_iss_and_sub()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var resourceServer = await Admin.CreateClientAsync(sid, OAuthClient(method: "CLIENT_SECRET_BASIC"));
        var token = await LibraryTokenAsync(sid, client.Id, client.Secret, ClientCredentialStyle.AuthorizationHeader, scope: "read write");
        var issuedAt = Time.GetUtcNow().ToUnixTimeSeconds();

        var result = await LibraryIntrospectAsync(sid, resourceServer, token.AccessToken ?? "");

        Assert.False(result.IsError, result.Raw);
        Assert.True(result.IsActive);
        Assert.Equal(["read", "write"], result.Scopes);
        Assert.Equal(client.Id, result.ClientId);
        Assert.Equal(client.Id, result.Subject);
        Assert.Equal(Issuer(sid), result.Issuer);
        Assert.Equal([Issuer(sid)], result.Audiences);
        Assert.Equal("Bearer", result.TokenType);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(issuedAt + 3600), result.Expiration);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(issuedAt), result.IssuedAt);
        Assert.Equal(Jwt.Decode(token.AccessToken ?? "").Payload["jti"]!.GetValue<string>(), result.JwtId);
    }

    [Fact]
    public async Task token_is_active_until_one_second_before_exp_and_inactive_from_exp()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"short tokens","accessTokenDuration":120}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);

        Time.Advance(TimeSpan.FromSeconds(119));
        Assert.True((await LibraryIntrospectAsync(sid, client, token)).IsActive);

        Time.Advance(TimeSpan.FromSeconds(1));
        var expired = await LibraryIntrospectAsync(sid, client, token);
        Assert.False(expired.IsError, expired.Raw);
        Assert.False(expired.IsActive);
        Assert.Equal("""{"active":false}""", expired.Raw);
    }

    [Fact]
    public async Task token_with_an_altered_signature_is_inactive()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);

        var forged = await LibraryIntrospectAsync(sid, client, Jwt.WithAlteredSignature(token));
        var genuine = await LibraryIntrospectAsync(sid, client, token);

        Assert.False(forged.IsActive);
        Assert.Equal("""{"active":false}""", forged.Raw);
        Assert.True(genuine.IsActive);
    }

    [Fact]
    public async Task token_with_an_edited_payload_is_inactive()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client, scope: "read");

        var widened = Jwt.WithPayload(token, p => p["scope"] = "read write admin");

        Assert.False((await LibraryIntrospectAsync(sid, client, widened)).IsActive);
    }

    [Fact]
    public async Task token_of_another_service_is_inactive_here()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var other = await Admin.CreateServiceAsync(ScopedService);
        var here = await Admin.CreateClientAsync(sid, OAuthClient());
        var there = await Admin.CreateClientAsync(other, OAuthClient());
        var foreign = await AccessTokenAsync(there);

        Assert.False((await LibraryIntrospectAsync(sid, here, foreign)).IsActive);
        Assert.True((await LibraryIntrospectAsync(other, there, foreign)).IsActive);
    }

    [Fact]
    public async Task token_becomes_inactive_when_its_client_is_deleted()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var resourceServer = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);
        Assert.True((await LibraryIntrospectAsync(sid, resourceServer, token)).IsActive);

        await Admin.DeleteClientAsync(client.ServiceId, client.ClientId);

        Assert.False((await LibraryIntrospectAsync(sid, resourceServer, token)).IsActive);
    }

    [Fact]
    public async Task token_becomes_inactive_when_its_client_is_locked_and_active_again_when_unlocked()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var resourceServer = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);

        await Admin.LockClientAsync(client.ServiceId, client.ClientId);
        Assert.False((await LibraryIntrospectAsync(sid, resourceServer, token)).IsActive);

        await Admin.LockClientAsync(client.ServiceId, client.ClientId, locked: false);
        Assert.True((await LibraryIntrospectAsync(sid, resourceServer, token)).IsActive);
    }

    [Fact]
    public async Task introspection_by_a_client_of_another_service_is_invalid_client()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var other = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var stranger = await Admin.CreateClientAsync(other, OAuthClient());
        var token = await AccessTokenAsync(client);

        var result = await LibraryIntrospectAsync(sid, stranger, token);

        Assert.True(result.IsError);
        Assert.Equal(HttpStatusCode.Unauthorized, result.HttpStatusCode);
        Assert.Equal("invalid_client", result.Json?.GetProperty("error").GetString());
        Assert.NotNull(result.HttpResponse?.Headers.WwwAuthenticate.FirstOrDefault());
    }

    [Fact]
    public async Task introspection_with_a_wrong_secret_is_invalid_client()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);

        var result = await LibraryIntrospectAsync(sid, client, token, secret: "wrong-secret");

        Assert.True(result.IsError);
        Assert.Equal(HttpStatusCode.Unauthorized, result.HttpStatusCode);
        Assert.Equal("invalid_client", result.Json?.GetProperty("error").GetString());
    }
}
