using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Duende.IdentityModel.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Rekey.Tests.OAuth;

/// <summary>The access token on the wire (RFC 9068), decoded by hand, and the metadata that describes it (RFC 8414).</summary>
public abstract partial class OAuthSuite
{
    [Fact]
    public async Task access_token_header_is_es256_at_jwt_with_a_kid_published_in_the_jwks()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var (header, _) = Jwt.Decode(await AccessTokenAsync(client));

        Assert.Equal(["alg", "typ", "kid"], header.Select(p => p.Key));
        Assert.Equal("ES256", header["alg"]!.GetValue<string>());
        Assert.Equal("at+jwt", header["typ"]!.GetValue<string>());
        Assert.Contains(header["kid"]!.GetValue<string>(), await PublishedKeyIdsAsync(sid));
    }

    [Fact]
    public async Task access_token_claims_are_the_rfc9068_set_with_exp_at_iat_plus_the_service_duration()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"15 minutes","accessTokenDuration":900,"supportedScopes":[{"name":"read"},{"name":"write"}]}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: "billing"));
        var now = Time.GetUtcNow().ToUnixTimeSeconds();

        var reply = await TokenAsync(client, identifier: "billing", scope: "write read");
        AssertIssued(reply);
        var (_, payload) = Jwt.Decode(reply.Json["access_token"]!.GetValue<string>());

        Assert.Equal(["iss", "sub", "aud", "client_id", "scope", "iat", "exp", "jti"], payload.Select(p => p.Key));
        Assert.Equal(Issuer(sid), payload["iss"]!.GetValue<string>());
        Assert.Equal(client.Id, payload["sub"]!.GetValue<string>());
        Assert.Equal(Issuer(sid), payload["aud"]!.GetValue<string>());
        Assert.Equal(client.Id, payload["client_id"]!.GetValue<string>());
        Assert.Equal("write read", payload["scope"]!.GetValue<string>());
        Assert.Equal(now, payload["iat"]!.GetValue<long>());
        Assert.Equal(now + 900, payload["exp"]!.GetValue<long>());
        Assert.Equal(900, reply.Json["expires_in"]!.GetValue<long>());
        Assert.Equal("write read", reply.Json["scope"]!.GetValue<string>());
    }

    [Fact]
    public async Task lifetime_defaults_to_3600_seconds()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"defaults"}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var (_, payload) = Jwt.Decode(await AccessTokenAsync(client));

        Assert.Equal(3600, payload["exp"]!.GetValue<long>() - payload["iat"]!.GetValue<long>());
    }

    [Fact]
    public async Task jti_is_unique_across_tokens_of_the_same_client_at_the_same_instant()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(Jwt.Decode(await AccessTokenAsync(client)).Payload["jti"]!.GetValue<string>());
        }

        Assert.Equal(20, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.True(Base64Url.DecodeFromChars(id).Length >= 16, "jti carries at least 128 random bits"));
    }

    [Fact]
    public async Task signature_verifies_by_hand_with_the_published_p256_key()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);
        var jwk = (await SendAsync(Anonymous, HttpMethod.Get, Issuer(sid) + "/jwks")).Json["keys"]![0]!;
        using var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64Url.DecodeFromChars(jwk["x"]!.GetValue<string>()), Y = Base64Url.DecodeFromChars(jwk["y"]!.GetValue<string>()) },
        });
        var signingInput = Encoding.ASCII.GetBytes(token[..token.LastIndexOf('.')]);

        // RFC 7518 §3.4: the JWS signature is r‖s, 64 bytes, not DER.
        Assert.Equal(64, Jwt.Signature(token).Length);
        Assert.True(key.VerifyData(signingInput, Jwt.Signature(token), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.False(key.VerifyData(signingInput, Jwt.Signature(Jwt.WithAlteredSignature(token)), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public async Task a_requested_resource_becomes_the_audience_and_several_make_an_array()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var one = await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", "client_credentials"), ("resource", "https://api.example/"));
        var two = await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", "client_credentials"),
            ("resource", "https://api.example/"), ("resource", "https://files.example/"));

        Assert.Equal("https://api.example/", Jwt.Decode(one.Json["access_token"]!.GetValue<string>()).Payload["aud"]!.GetValue<string>());
        Assert.Equal(["https://api.example/", "https://files.example/"],
            Jwt.Decode(two.Json["access_token"]!.GetValue<string>()).Payload["aud"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Theory]
    [InlineData("https://api.example/v1?tenant=a")]
    [InlineData("urn:example:billing-api")]
    public async Task an_absolute_uri_is_accepted_as_resource_and_becomes_the_audience(string resource)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var reply = await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", "client_credentials"), ("resource", resource));

        AssertIssued(reply);
        Assert.Equal(resource, Jwt.Decode(reply.Json["access_token"]!.GetValue<string>()).Payload["aud"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/relative/path")]
    [InlineData("https://api.example/#fragment")]
    [InlineData("not a uri")]
    [InlineData("https://api.example/a b")]
    [InlineData("api.example")]
    public async Task a_resource_that_is_not_an_absolute_uri_without_fragment_is_400_invalid_target(string resource)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var reply = await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", "client_credentials"), ("resource", resource));

        AssertOAuthError(reply, HttpStatusCode.BadRequest, "invalid_target");
    }

    [Fact]
    public async Task introspection_reports_several_audiences_as_a_list()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var reply = await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", "client_credentials"),
            ("resource", "https://api.example/"), ("resource", "https://files.example/"));

        var result = await LibraryIntrospectAsync(sid, client, reply.Json["access_token"]!.GetValue<string>());

        Assert.True(result.IsActive);
        Assert.Equal(["https://api.example/", "https://files.example/"], result.Audiences);
    }

    [Fact]
    public async Task metadata_is_the_rfc8414_document_with_exactly_the_supported_features()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        var reply = await SendAsync(Anonymous, HttpMethod.Get, MetadataUrl(sid));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var issuer = Issuer(sid);
        Assert.Equal(
            $$"""{"issuer":"{{issuer}}","token_endpoint":"{{issuer}}/token","jwks_uri":"{{issuer}}/jwks","introspection_endpoint":"{{issuer}}/introspect","scopes_supported":["read","write","admin"],"response_types_supported":[],"grant_types_supported":["client_credentials"],"token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","client_secret_jwt"],"introspection_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","client_secret_jwt"],"token_endpoint_auth_signing_alg_values_supported":["HS256","HS384","HS512"],"introspection_endpoint_auth_signing_alg_values_supported":["HS256","HS384","HS512"],"access_token_signing_alg_values_supported":["ES256"]}""",
            reply.Json.ToJsonString());
    }

    [Fact]
    public async Task metadata_of_an_unknown_service_is_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Anonymous, HttpMethod.Get, MetadataUrl(123456789012345))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Anonymous, HttpMethod.Get, Issuer(123456789012345) + "/jwks")).Status);
    }

    [Fact]
    public async Task public_base_url_sets_the_issuer_of_metadata_and_tokens_and_tokens_are_bound_to_it()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        // A second node on the same store and the same clock, named by its public origin.
        await using var proxied = await RekeyHost.StartAsync(Host.Store, new Dictionary<string, string?> { ["Rekey:PublicBaseUrl"] = "https://auth.example.com/" },
            services => services.AddSingleton<TimeProvider>(Time));
        using var http = proxied.CreateClient();
        var publicIssuer = $"https://auth.example.com/oauth2/{sid}";

        var metadata = await SendAsync(http, HttpMethod.Get, $"/.well-known/oauth-authorization-server/oauth2/{sid}");
        var reply = await SendAsync(http, HttpMethod.Post, $"/oauth2/{sid}/token", Wire.Form(("grant_type", "client_credentials")), Basic(client.Id, client.Secret));
        var token = reply.Json["access_token"]!.GetValue<string>();

        Assert.Equal(publicIssuer, metadata.Json["issuer"]!.GetValue<string>());
        Assert.Equal(publicIssuer + "/token", metadata.Json["token_endpoint"]!.GetValue<string>());
        Assert.Equal(publicIssuer, Jwt.Decode(token).Payload["iss"]!.GetValue<string>());
        Assert.Equal(publicIssuer, Jwt.Decode(token).Payload["aud"]!.GetValue<string>());
        var there = await SendAsync(http, HttpMethod.Post, $"/oauth2/{sid}/introspect", Wire.Form(("token", token)), Basic(client.Id, client.Secret));
        Assert.True(there.Json["active"]!.GetValue<bool>(), there.Text);

        // A node that names itself differently does not accept the token: every node must share Rekey:PublicBaseUrl.
        Assert.Equal("""{"active":false}""", (await IntrospectAsync(sid, client, token)).Text);
    }

    [Fact]
    public async Task the_library_reads_the_token_endpoint_from_metadata_and_the_token_is_for_that_issuer()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var document = await DiscoverAsync(sid);

        var token = await LibraryTokenAsync(sid, client.Id, client.Secret, ClientCredentialStyle.AuthorizationHeader);

        Assert.Equal(document.Issuer, Jwt.Decode(token.AccessToken ?? "").Payload["iss"]!.GetValue<string>());
        Assert.Contains(Jwt.Decode(token.AccessToken ?? "").Header["kid"]!.GetValue<string>(), document.KeySet?.Keys.Select(k => k.Kid) ?? []);
    }
}
