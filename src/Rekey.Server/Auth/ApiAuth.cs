using System.Globalization;
using Microsoft.Net.Http.Headers;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Auth;

/// <summary>Endpoint metadata: the permission the endpoint needs.</summary>
internal sealed record RequiredPermission(string Name);

/// <summary>
/// Bearer authentication and authorisation for the whole /api group: resolves the token (organisation token or
/// API token, by SHA-256 hash), checks the endpoint's <see cref="RequiredPermission"/>, and keeps a service token
/// inside its own service. A token for service A gets 403 on service B whether or not B or its clients exist.
/// </summary>
internal static class ApiAuth
{
    private static readonly object CallerKey = new();

    public static RouteGroupBuilder RequireRekeyToken(this RouteGroupBuilder group) => group.AddEndpointFilter(FilterAsync);

    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredPermission(permission));

    /// <summary>The authenticated caller; the /api group's filter guarantees one is set.</summary>
    public static Caller GetCaller(this HttpContext http) =>
        http.Items[CallerKey] as Caller ?? throw new InvalidOperationException("No caller: the endpoint is outside the authenticated /api group.");

    private static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var token = BearerToken(http.Request);
        if (token is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"rekey\"";
            return AuthleteResults.Error(ResultCodes.MissingAccessToken);
        }

        var caller = await ResolveAsync(http, token);
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"rekey\", error=\"invalid_token\"";
            return AuthleteResults.Error(ResultCodes.UnknownAccessToken);
        }

        http.Items[CallerKey] = caller;
        var required = http.GetEndpoint()?.Metadata.GetMetadata<RequiredPermission>();
        if (required is not null && !caller.Has(required.Name))
        {
            return await RefuseAsync(http, RuleViolation.Of(ResultCodes.PermissionDenied, required.Name));
        }

        if (!caller.IsOrganisation && http.Request.RouteValues.TryGetValue("serviceId", out var routeService) &&
            (!long.TryParse(routeService as string, NumberStyles.None, CultureInfo.InvariantCulture, out var serviceId) || serviceId != caller.ServiceId))
        {
            return await RefuseAsync(http, RuleViolation.Of(ResultCodes.WrongService, routeService));
        }

        return await next(context);
    }

    private static async Task<IResult> RefuseAsync(HttpContext http, RuleViolation error)
    {
        await Changes.RecordRefusalAsync(http, error);
        return AuthleteResults.Error(error);
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers[HeaderNames.Authorization].ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header[scheme.Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    private static async Task<Caller?> ResolveAsync(HttpContext http, string token)
    {
        var hash = TokenHash.Of(token);
        if (http.RequestServices.GetRequiredService<AdminToken>().Matches(hash))
        {
            return Caller.Organisation;
        }

        var store = http.RequestServices.GetRequiredService<IRekeyStore>();
        var apiToken = await store.FindApiTokenAsync(hash, http.RequestAborted);
        return apiToken is null
            ? null
            : new Caller(Caller.ServiceKind, apiToken.TokenId, apiToken.ServiceId, apiToken.Permissions.ToHashSet(StringComparer.Ordinal));
    }
}
