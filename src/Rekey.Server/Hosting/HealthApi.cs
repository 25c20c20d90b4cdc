using Microsoft.Extensions.Diagnostics.HealthChecks;
using Rekey.Contracts;
using Rekey.Server.Auth;
using Rekey.Server.Http;

namespace Rekey.Server.Hosting;

/// <summary>
/// Probes for orchestrators and load balancers, without a token: <c>/health/live</c> (the process serves; no database
/// call, so a database outage never gets a node restarted) and <c>/health/ready</c> (the store answers, migrations done,
/// keys loaded). Both run the checks registered with <c>AddHealthChecks</c> under their tag. Anyone gets the status; the
/// versions go only to the organisation token (compared in memory, no database call), since an exact version tells an
/// attacker which published weaknesses to try. <c>/healthz</c> stays as it was for existing load balancers.
/// </summary>
internal static class HealthApi
{
    public const string LiveTag = "live";

    public const string ReadyTag = "ready";

    private const string Ok = "ok";

    private const string Unavailable = "unavailable";

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/health").WithTags("Health");
        health.MapGet("/live", LiveAsync).WithName("health_live")
            .WithSummary("200 {\"status\":\"ok\"} while the process can serve. No token; no database call (a liveness probe).")
            .Produces<HealthAnswer>(200).Produces<HealthAnswer>(503);
        health.MapGet("/ready", ReadyAsync).WithName("health_ready")
            .WithSummary("200 when the store answers, its migrations are applied and the keys are loaded, 503 otherwise (a readiness probe). "
                + "No token needed; with the organisation token the answer also carries the server's version and the schema version.")
            .Produces<HealthAnswer>(200).Produces<HealthAnswer>(503);
        return app;
    }

    private static async Task<IResult> LiveAsync(HttpResponse response, HealthCheckService checks, CancellationToken ct)
    {
        var report = await checks.CheckHealthAsync(c => c.Tags.Contains(LiveTag), ct);
        return Answer(response, report.Status, details: null);
    }

    private static async Task<IResult> ReadyAsync(HttpRequest request, HttpResponse response, HealthCheckService checks, AdminToken adminToken, Readiness readiness,
        CancellationToken ct)
    {
        var report = await checks.CheckHealthAsync(c => c.Tags.Contains(ReadyTag), ct);
        var organisation = ApiAuth.BearerToken(request) is { } token && adminToken.Matches(TokenHash.Of(token));
        return Answer(response, report.Status, organisation ? readiness : null);
    }

    private static IResult Answer(HttpResponse response, HealthStatus status, Readiness? details)
    {
        response.Headers.CacheControl = "no-store";
        var healthy = status == HealthStatus.Healthy;
        var answer = new HealthAnswer
        {
            Status = healthy ? Ok : Unavailable,
            Version = details is null ? null : ServerCommandLine.Version,
            SchemaVersion = details?.SchemaVersion,
        };
        return Results.Json(answer, WireJson.Context.HealthAnswer, statusCode: healthy ? 200 : 503);
    }
}
