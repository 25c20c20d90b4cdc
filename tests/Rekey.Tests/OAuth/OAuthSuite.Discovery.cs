using System.Net;
using System.Text.Json.Nodes;
using Duende.IdentityModel.Client;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Rekey.Contracts;

namespace Rekey.Tests.OAuth;

/// <summary>
/// Discovery where libraries look: given only the issuer, JwtBearer, Duende.IdentityModel and openid-client fetch
/// <c>{issuer}/.well-known/openid-configuration</c>. Rekey answers there with its RFC 8414 document, and Authlete's
/// <c>service/configuration</c> and <c>service/jwks/get</c> answer the same document and key set.
/// </summary>
public abstract partial class OAuthSuite
{
    private string OpenIdConfigurationUrl(long serviceId) => Issuer(serviceId) + "/.well-known/openid-configuration";

    private Dictionary<string, string> DiscoveryBindings(long serviceId) => new()
    {
        ["<issuer>"] = Issuer(serviceId),
        ["<token-endpoint>"] = TokenEndpoint(serviceId),
        ["<jwks-uri>"] = Issuer(serviceId) + "/jwks",
        ["<introspection-endpoint>"] = IntrospectionEndpoint(serviceId),
    };

    /// <summary>The stock JWT bearer handler given the issuer as <c>Authority</c> and the audience, nothing else.</summary>
    private static Task<ResourceServer> StartIssuerOnlyResourceServerAsync(string issuer) => StartResourceServerAsync(o =>
    {
        o.Authority = issuer;
        o.Audience = issuer;
        o.RequireHttpsMetadata = false; // loopback test server
    });

    [Fact]
    public async Task jwt_bearer_given_only_the_issuer_as_authority_accepts_a_rekey_token_and_rejects_a_tampered_one()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        await using var api = await StartIssuerOnlyResourceServerAsync(Issuer(sid));
        var token = await AccessTokenAsync(client, scope: "read");

        Assert.Equal(HttpStatusCode.OK, (await api.CallAsync(token)).Status);
        var (status, challenge, _) = await api.CallAsync(Jwt.WithPayload(token, p => p["scope"] = "read admin"));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("invalid_token", challenge, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.CallAsync(Jwt.WithAlteredSignature(token))).Status);
    }

    [Fact]
    public async Task duende_discovery_given_only_the_issuer_succeeds_with_its_default_policy()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        // The default policy: issuer name checked, endpoints under the authority, a key set required; plain http is
        // allowed for loopback addresses only (AllowHttpOnLoopback), which the test server is.
        var document = await Anonymous.GetDiscoveryDocumentAsync(Issuer(sid));

        Assert.False(document.IsError, $"{document.ErrorType}: {document.Error}");
        Assert.Equal(Issuer(sid), document.Issuer);
        Assert.Equal(TokenEndpoint(sid), document.TokenEndpoint);
        Assert.Equal(IntrospectionEndpoint(sid), document.IntrospectionEndpoint);
        Assert.Single(document.KeySet?.Keys ?? []);
        Assert.Null(document.UserInfoEndpoint);
    }

    [Fact]
    public async Task the_openid_configuration_is_the_rfc8414_document_and_claims_no_openid_provider_features()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        var openId = await SendAsync(Anonymous, HttpMethod.Get, OpenIdConfigurationUrl(sid));
        var rfc8414 = await SendAsync(Anonymous, HttpMethod.Get, MetadataUrl(sid));

        Assert.Equal(HttpStatusCode.OK, openId.Status);
        Assert.Equal(rfc8414.Text, openId.Text);
        OAuthGolden.AssertMatches("service-configuration.json", openId.Json, DiscoveryBindings(sid));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Anonymous, HttpMethod.Get, $"{Origin}/oauth2/999/.well-known/openid-configuration")).Status);
    }

    [Fact]
    public async Task authlete_service_configuration_answers_the_same_document_and_pretty_indents_it()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        var plain = await SendAsync(Admin, HttpMethod.Get, $"/api/{sid}/service/configuration");
        var pretty = await SendAsync(Admin, HttpMethod.Get, $"/api/{sid}/service/configuration?pretty=true");
        var patched = await SendAsync(Admin, HttpMethod.Get, $"/api/{sid}/service/configuration?patch=%5B%5D");
        var malformed = await SendAsync(Admin, HttpMethod.Get, $"/api/{sid}/service/configuration?pretty=maybe");

        Assert.Equal(HttpStatusCode.OK, plain.Status);
        Assert.Equal((await SendAsync(Anonymous, HttpMethod.Get, OpenIdConfigurationUrl(sid))).Text, plain.Text);
        OAuthGolden.AssertMatches("service-configuration.json", plain.Json, DiscoveryBindings(sid));
        Assert.Contains("\n", pretty.Text, StringComparison.Ordinal);
        Assert.Equal(plain.Json.ToJsonString(), pretty.Json.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, patched.Status);
        Assert.Equal(ResultCodes.ConfigurationPatchUnsupported.Code, patched.Json["resultCode"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        Assert.StartsWith("A000", malformed.Json["resultCode"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task authlete_service_jwks_get_answers_the_public_keys_and_refuses_private_ones()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        var jwks = await SendAsync(Admin, HttpMethod.Get, $"/api/{sid}/service/jwks/get");
        var explicitlyPublic = await SendAsync(Admin, HttpMethod.Get, $"/api/{sid}/service/jwks/get?includePrivateKeys=false&pretty=true");
        var withPrivate = await SendAsync(Admin, HttpMethod.Get, $"/api/{sid}/service/jwks/get?includePrivateKeys=true");

        Assert.Equal(HttpStatusCode.OK, jwks.Status);
        OAuthGolden.AssertMatches("service-jwks.json", jwks.Json);
        Assert.Equal((await SendAsync(Anonymous, HttpMethod.Get, Issuer(sid) + "/jwks")).Text, jwks.Text);
        Assert.Equal(jwks.Json.ToJsonString(), explicitlyPublic.Json.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, withPrivate.Status);
        Assert.Equal(ResultCodes.PrivateKeysNeverReturned.Code, withPrivate.Json["resultCode"]!.GetValue<string>());
        Assert.DoesNotContain("\"d\"", withPrivate.Text, StringComparison.Ordinal);
    }
}
