namespace Rekey.Server.Auth;

/// <summary>The /api group's conventions, and what <see cref="ApiAuth"/> leaves for the handlers: the caller and the service ID.</summary>
internal static class ApiAuthExtensions
{
    public static RouteGroupBuilder RequireRekeyToken(this RouteGroupBuilder group) => group.AddEndpointFilter<RouteGroupBuilder, ApiAuth>();

    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredPermission(permission));

    /// <summary>The authenticated caller; the /api group's filter guarantees one is set.</summary>
    public static Caller GetCaller(this HttpContext http) =>
        http.Items[ApiAuth.CallerKey] as Caller ?? throw new InvalidOperationException("No caller: the endpoint is outside the authenticated /api group.");

    /// <summary>The route's <c>{serviceId}</c>, parsed by the /api group's filter, which answered for one that is not a number.</summary>
    public static long GetServiceId(this HttpContext http) =>
        http.Items[ApiAuth.ServiceIdKey] as long? ?? throw new InvalidOperationException("No service ID: the route has no {serviceId} or is outside the /api group.");
}
