using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Rekey.Tests.OAuth;

/// <summary>
/// A real resource server: an ASP.NET Core app on Kestrel with the stock JWT bearer handler, configured only from
/// Rekey's RFC 8414 metadata (which points it at the JWKS). Nothing about Rekey is special-cased.
/// </summary>
public abstract partial class OAuthSuite
{
    /// <summary>The resource server and a client for it; disposing stops it.</summary>
    protected sealed class ResourceServer(WebApplication app, HttpClient http) : IAsyncDisposable
    {
        public async Task<(HttpStatusCode Status, string? Challenge, JsonObject? Body)> CallAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/protected");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, response.Headers.WwwAuthenticate.FirstOrDefault()?.ToString(),
                response.IsSuccessStatusCode ? JsonNode.Parse(text)?.AsObject() : null);
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    protected Task<ResourceServer> StartResourceServerAsync(long serviceId) => StartResourceServerAsync(o =>
    {
        o.MetadataAddress = MetadataUrl(serviceId);
        o.RequireHttpsMetadata = false; // loopback test server
        o.MapInboundClaims = false;
        o.TimeProvider = Time;
        o.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = Issuer(serviceId),
            ValidAudience = Issuer(serviceId), // no resource requested: aud is the issuer
            ValidTypes = ["at+jwt"], // RFC 9068 §4
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ClockSkew = TimeSpan.Zero,

            // The resource server reads the suite's clock (this IdentityModel version has no TimeProvider hook).
            LifetimeValidator = (notBefore, expires, _, _) =>
                expires is { } exp && exp > Time.GetUtcNow().UtcDateTime && (notBefore is not { } nbf || nbf <= Time.GetUtcNow().UtcDateTime),
        };
    });

    /// <summary>
    /// A resource server on Kestrel with ASP.NET Core's JWT bearer handler configured by <paramref name="configure"/>:
    /// <c>GET /protected</c> requires a valid token and answers the claims it saw (<c>sub</c>, <c>client_id</c>, <c>scope</c>).
    /// </summary>
    protected static async Task<ResourceServer> StartResourceServerAsync(Action<JwtBearerOptions> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAuthentication().AddJwtBearer(configure);
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/protected", (HttpContext http) => Results.Json(new Dictionary<string, string?>
        {
            ["sub"] = http.User.FindFirst("sub")?.Value,
            ["client_id"] = http.User.FindFirst("client_id")?.Value,
            ["scope"] = http.User.FindFirst("scope")?.Value,
        })).RequireAuthorization();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.First() ?? throw new InvalidOperationException("No address.");
        return new ResourceServer(app, new HttpClient { BaseAddress = new Uri(address) });
    }

    [Fact]
    public async Task resource_server_accepts_a_rekey_token_and_sees_its_claims()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        await using var api = await StartResourceServerAsync(sid);

        var (status, _, body) = await api.CallAsync(await AccessTokenAsync(client, scope: "read write"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(client.Id, body?["sub"]?.GetValue<string>());
        Assert.Equal(client.Id, body?["client_id"]?.GetValue<string>());
        Assert.Equal("read write", body?["scope"]?.GetValue<string>());
    }

    [Fact]
    public async Task resource_server_rejects_a_token_whose_payload_was_changed()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        await using var api = await StartResourceServerAsync(sid);
        var token = await AccessTokenAsync(client, scope: "read");

        var (status, challenge, _) = await api.CallAsync(Jwt.WithPayload(token, p => p["scope"] = "read admin"));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("invalid_token", challenge, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await api.CallAsync(token)).Status);
    }

    [Fact]
    public async Task resource_server_rejects_a_token_with_an_altered_signature()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        await using var api = await StartResourceServerAsync(sid);

        var (status, _, _) = await api.CallAsync(Jwt.WithAlteredSignature(await AccessTokenAsync(client)));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task resource_server_rejects_an_expired_token()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"short tokens","accessTokenDuration":60}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        await using var api = await StartResourceServerAsync(sid);
        var token = await AccessTokenAsync(client);
        Assert.Equal(HttpStatusCode.OK, (await api.CallAsync(token)).Status);

        Time.Advance(TimeSpan.FromSeconds(61));
        var (status, challenge, _) = await api.CallAsync(token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("invalid_token", challenge, StringComparison.Ordinal);
        Assert.Contains("lifetime", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task resource_server_rejects_a_token_of_another_service()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var other = await Admin.CreateServiceAsync(ScopedService);
        var there = await Admin.CreateClientAsync(other, OAuthClient());
        await using var api = await StartResourceServerAsync(sid);

        var (status, _, _) = await api.CallAsync(await AccessTokenAsync(there));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task resource_server_rejects_a_token_requested_for_another_resource()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        await using var api = await StartResourceServerAsync(sid);
        var reply = await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", "client_credentials"), ("resource", "https://other-api.example/"));
        AssertIssued(reply);

        var (status, challenge, _) = await api.CallAsync(reply.Json["access_token"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("audience", challenge, StringComparison.Ordinal);
    }
}
