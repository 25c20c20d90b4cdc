using System.Text.Json;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.OAuth;

/// <summary>
/// Authlete's service discovery calls: <c>service/configuration</c> (the service's discovery document, as the
/// .well-known URLs publish it) and <c>service/jwks/get</c> (its JWK set). Both answer the bare document, as Authlete
/// does, and take Authlete's <c>pretty</c>. Rekey never returns private keys.
/// </summary>
internal static class ServiceDiscoveryApi
{
    /// <summary>The context for <c>pretty=true</c>: the same contract, indented.</summary>
    private static readonly RekeyJsonContext Indented = new(new JsonSerializerOptions(WireJson.Context.Options) { WriteIndented = true });

    public static RouteGroupBuilder MapServiceDiscovery(this RouteGroupBuilder api)
    {
        api.MapGet("/{serviceId}/service/configuration", ConfigurationAsync).RequirePermission(Permissions.ServiceRead)
            .Documented<AuthorizationServerMetadata>("service_configuration_api",
                "The service's discovery document, the one published at {issuer}/.well-known/openid-configuration and at the RFC 8414 URL. 'pretty' indents it; 'patch' is refused.",
                200, ResultCodes.ServiceNotFound, ResultCodes.ConfigurationPatchUnsupported);
        api.MapGet("/{serviceId}/service/jwks/get", JwksAsync).RequirePermission(Permissions.ServiceRead)
            .Documented<JsonWebKeySet>("service_jwks_get_api",
                "The service's JWK set: the public signing keys published now, as at {issuer}/jwks. 'pretty' indents it; 'includePrivateKeys=true' is refused.",
                200, ResultCodes.ServiceNotFound, ResultCodes.PrivateKeysNeverReturned);
        return api;
    }

    private static async Task<IResult> ConfigurationAsync(HttpContext http, IRekeyStore store, IOptions<RekeyOptions> options, bool? pretty, string? patch, CancellationToken ct)
    {
        if (patch is not null)
        {
            return AuthleteResults.Error(ResultCodes.ConfigurationPatchUnsupported);
        }

        var sid = http.GetServiceId();
        if (await store.GetServiceAsync(sid, ct) is not { } stored)
        {
            return AuthleteResults.Error(ResultCodes.ServiceNotFound, sid);
        }

        var metadata = Discovery.Metadata(OAuthApi.Issuer(http.Request, options.Value, sid), Services.ServiceRules.Present(stored));
        return Results.Json(metadata, (pretty == true ? Indented : WireJson.Context).AuthorizationServerMetadata);
    }

    private static async Task<IResult> JwksAsync(HttpContext http, IRekeyStore store, SigningKeys keys, bool? includePrivateKeys, bool? pretty, CancellationToken ct)
    {
        // Authlete returns the private keys on request; Rekey's signing keys never leave the server sealed.
        if (includePrivateKeys == true)
        {
            return AuthleteResults.Error(ResultCodes.PrivateKeysNeverReturned);
        }

        var sid = http.GetServiceId();
        if (await store.GetServiceAsync(sid, ct) is null)
        {
            return AuthleteResults.Error(ResultCodes.ServiceNotFound, sid);
        }

        var set = await Discovery.KeySetAsync(keys, sid, ct);
        return Results.Json(set, (pretty == true ? Indented : WireJson.Context).JsonWebKeySet);
    }
}
