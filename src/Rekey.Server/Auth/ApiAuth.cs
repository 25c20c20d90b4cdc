using Microsoft.Net.Http.Headers;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Http;
using Rekey.Server.Storage;
using Rekey.Server.Telemetry;

namespace Rekey.Server.Auth;

/// <summary>Endpoint metadata: the permission the endpoint needs.</summary>
internal sealed record RequiredPermission(string Name);

/// <summary>
/// Bearer authentication and authorisation for the whole /api group: resolves the token (organisation token or
/// API token, by SHA-256 hash), checks the endpoint's <see cref="RequiredPermission"/>, and keeps a service token
/// inside its own service. A token for service A gets 403 on service B whether or not B or its clients exist.
/// The route's <c>{serviceId}</c> is parsed here, once per request, for that check and for the handler
/// (<see cref="ApiAuthExtensions.GetServiceId"/>): one that is not a number names no service, a 404 for the
/// organisation token (a 403 for a service token, which may name only its own).
/// </summary>
internal sealed class ApiAuth(AdminToken adminToken, IRekeyStore store, Changes changes, ILogger<ApiAuth> logger) : IEndpointFilter
{
    /// <summary>Every log line written while the handler runs carries the service ID (with <c>IncludeScopes</c>).</summary>
    private static readonly Func<ILogger, long, IDisposable?> ServiceScope = LoggerMessage.DefineScope<long>("ServiceId:{ServiceId}");

    internal static readonly object CallerKey = new();
    internal static readonly object ServiceIdKey = new();

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var token = BearerToken(http.Request);
        if (token is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"rekey\"";
            RekeyMetrics.AuthenticationFailed(BearerMethod);
            return AuthleteResults.Error(ResultCodes.MissingAccessToken);
        }

        var caller = await ResolveAsync(token, http.RequestAborted);
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"rekey\", error=\"invalid_token\"";
            RekeyMetrics.AuthenticationFailed(BearerMethod);
            return AuthleteResults.Error(ResultCodes.UnknownAccessToken);
        }

        http.Items[CallerKey] = caller;
        var routeService = http.Request.RouteValues["serviceId"] as string;
        var (serviceId, refusal) = Authorize(caller, http.GetEndpoint()?.Metadata.GetMetadata<RequiredPermission>(), routeService);
        if (refusal is not null)
        {
            return await RefuseAsync(http, refusal, serviceId);
        }

        if (serviceId is { } sid)
        {
            http.Items[ServiceIdKey] = sid;
            using (ServiceScope(logger, sid))
            {
                return Counted(http, await next(context));
            }
        }

        return Counted(http, await next(context));
    }

    /// <summary>The tag of bearer-token failures in <c>rekey.auth.failures</c>.</summary>
    private const string BearerMethod = "bearer";

    /// <summary>
    /// Counts an audited change by what the caller was answered (<c>rekey.changes</c>): every audited endpoint is under
    /// this filter, so this is the one place. A failure (an exception: outage, bug) is not a change and not counted.
    /// </summary>
    private static object? Counted(HttpContext http, object? result)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<AuditedAction>() is { } action)
        {
            var status = (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;
            RekeyMetrics.Changed(action.Name, status < 400);
        }

        return result;
    }

    /// <summary>A refusal before the handler ran: recorded when the endpoint is audited, like the handlers' own.</summary>
    private async Task<IResult> RefuseAsync(HttpContext http, RuleViolation error, long? serviceId)
    {
        await changes.RecordRefusalAsync(http, error, serviceId);
        var refusal = AuthleteResults.Error(error);
        Counted(http, refusal);
        return refusal;
    }

    internal static string? BearerToken(HttpRequest request)
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

    /// <summary>
    /// What a caller may do here, decided once for /api and the console: the endpoint's permission, then the route's
    /// service — a service token only its own (403 A000204 whether or not the other exists), a route service that is not
    /// a number none (404 for the organisation). The parsed service ID, and the refusal if any.
    /// </summary>
    internal static (long? ServiceId, RuleViolation? Refusal) Authorize(Caller caller, RequiredPermission? required, string? routeService)
    {
        long? serviceId = routeService is not null && RouteIds.TryParse(routeService, out var parsed) ? parsed : null;
        if (required is not null && !caller.Has(required.Name))
        {
            return (serviceId, RuleViolation.Of(ResultCodes.PermissionDenied, required.Name));
        }

        if (routeService is null)
        {
            return (null, null);
        }

        if (!caller.IsOrganisation && (serviceId is not { } named || named != caller.ServiceId))
        {
            return (serviceId, RuleViolation.Of(ResultCodes.WrongService, routeService));
        }

        return serviceId is null ? (null, RuleViolation.Of(ResultCodes.ServiceNotFound, routeService)) : (serviceId, null);
    }

    private Task<Caller?> ResolveAsync(string token, CancellationToken ct) => ResolveAsync(adminToken, store, TokenHash.Of(token), ct);

    /// <summary>The caller a token's SHA-256 names (the organisation token, or an API token), or null: /api and the console alike.</summary>
    internal static async Task<Caller?> ResolveAsync(AdminToken adminToken, IRekeyStore store, byte[] hash, CancellationToken ct)
    {
        if (adminToken.Matches(hash))
        {
            return Caller.Organisation;
        }

        var apiToken = await store.FindApiTokenAsync(hash, ct);
        return apiToken is null
            ? null
            : new Caller(Caller.ServiceKind, apiToken.TokenId, apiToken.ServiceId, apiToken.Permissions.ToHashSet(StringComparer.Ordinal));
    }
}
