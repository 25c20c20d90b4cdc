using System.Buffers.Binary;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Rekey.Bench.Peer;

internal sealed record PeerSettings(string Database, string ClientId, string ClientSecret, bool TokenStorage, bool EncryptAccessTokens)
{
    public static PeerSettings From(IConfiguration configuration) => new(
        configuration["Peer:Database"] ?? "peer.db",
        configuration["Peer:ClientId"] ?? "bench-client",
        configuration["Peer:ClientSecret"] ?? throw new InvalidOperationException("Peer:ClientSecret is required."),
        configuration.GetValue("Peer:TokenStorage", true),
        configuration.GetValue("Peer:EncryptAccessTokens", true));

    public override string ToString() => $"PeerSettings {{ Database = {Database}, ClientId = {ClientId}, TokenStorage = {TokenStorage}, EncryptAccessTokens = {EncryptAccessTokens} }}";
}

/// <summary>EF Core context holding OpenIddict's entities only (applications, authorizations, scopes, tokens).</summary>
internal sealed class PeerDbContext(DbContextOptions<PeerDbContext> options) : DbContext(options);

internal static class PeerSetup
{
    public static IServiceCollection AddPeerOpenIddict(this IServiceCollection services, PeerSettings settings)
    {
        services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<PeerDbContext>())
            .AddServer(server =>
            {
                server.SetTokenEndpointUris(PeerEndpoints.TokenPath);
                server.AllowClientCredentialsFlow();
                // In-memory RSA keys: no certificate store on disk, same cost per token as a configured key.
                server.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
                if (!settings.TokenStorage)
                {
                    server.DisableTokenStorage();
                }

                if (!settings.EncryptAccessTokens)
                {
                    server.DisableAccessTokenEncryption();
                }

                // Passthrough: OpenIddict parses and validates the request and authenticates the client (the default
                // handlers, including the application manager's client secret check); the endpoint below only signs in.
                server.UseAspNetCore().EnableTokenEndpointPassthrough().DisableTransportSecurityRequirement();
            });
        return services;
    }

    /// <summary>Creates the database and registers the one confidential client through the application manager.</summary>
    public static async Task SeedAsync(IServiceProvider services, PeerSettings settings)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PeerDbContext>();
        await db.Database.EnsureCreatedAsync();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        if (await manager.FindByClientIdAsync(settings.ClientId) is null)
        {
            await manager.CreateAsync(new OpenIddictApplicationDescriptor
            {
                ClientId = settings.ClientId,
                ClientSecret = settings.ClientSecret,
                ClientType = ClientTypes.Confidential,
                Permissions = { Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials },
            });
        }
    }
}

internal static class PeerEndpoints
{
    public const string TokenPath = "/connect/token";

    public static IResult Token(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenIddict request.");
        if (!request.IsClientCredentialsGrantType() || request.ClientId is null)
        {
            return Results.Forbid(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, request.ClientId);
        identity.SetScopes(request.GetScopes());
        identity.SetDestinations(static _ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>
    /// What the peer really does with the secret, read back from its own store: the application manager wrote the
    /// hash, so its header (format 0x01, PRF, iteration count, salt length — ASP.NET Core Identity's v3 layout) says
    /// what every client authentication has to recompute.
    /// </summary>
    public static async Task<IResult> InfoAsync(IOpenIddictApplicationManager manager, IConfiguration configuration, CancellationToken ct)
    {
        var settings = PeerSettings.From(configuration);
        var application = await manager.FindByClientIdAsync(settings.ClientId, ct) ?? throw new InvalidOperationException("The client is missing.");
        var stored = application is OpenIddictEntityFrameworkCoreApplication entity ? entity.ClientSecret : null;
        var info = new Dictionary<string, object?>
        {
            ["openIddictVersion"] = typeof(IOpenIddictApplicationManager).Assembly.GetName().Version?.ToString(),
            ["tokenStorage"] = settings.TokenStorage,
            ["encryptAccessTokens"] = settings.EncryptAccessTokens,
        };
        if (stored is not null)
        {
            var payload = Convert.FromBase64String(stored);
            info["secretHashFormat"] = payload[0];
            info["secretHashPrf"] = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(1, 4)) switch
            {
                0 => "HMACSHA1",
                1 => "HMACSHA256",
                2 => "HMACSHA512",
                var other => "unknown " + other,
            };
            info["secretHashIterations"] = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(5, 4));
            var saltLength = (int)BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(9, 4));
            info["secretHashSaltBytes"] = saltLength;
            info["secretHashSubkeyBytes"] = payload.Length - 13 - saltLength;
        }

        return Results.Text(JsonSerializer.Serialize(info), "application/json");
    }
}
