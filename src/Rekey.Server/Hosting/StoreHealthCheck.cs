using Microsoft.Extensions.Diagnostics.HealthChecks;
using Rekey.Server.Storage;

namespace Rekey.Server.Hosting;

/// <summary>
/// Readiness: the start migrated the store and loaded the keys, and the database answers a trivial query now (within
/// 2 seconds on PostgreSQL). A database outage makes the node not ready, never not live.
/// </summary>
internal sealed class StoreHealthCheck(IRekeyStore store, Readiness readiness) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        if (readiness.SchemaVersion is null)
        {
            return HealthCheckResult.Unhealthy("The start has not migrated the store and loaded the keys yet.");
        }

        return await store.PingAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The store does not answer.");
    }
}
