using System.Diagnostics.Metrics;

namespace Rekey.Server.Telemetry;

/// <summary>
/// Rekey's own instruments, meter <see cref="MeterName"/> (the SQLite writer keeps its own, <c>Rekey.Storage.Sqlite</c>).
/// Tags are low-cardinality on purpose: outcomes, methods, actions, engines and operation names — never a client ID,
/// service ID, token or value, so the number of series stays fixed however large the registry grows (the audit log has
/// the per-client detail). docs/observability.md lists every instrument; ObservabilityDocumentTests keeps it in step.
/// Recording costs a flag check while nobody listens (no exporter configured).
/// </summary>
internal static class RekeyMetrics
{
    public const string MeterName = "Rekey";

    public static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> TokenRequests = Meter.CreateCounter<long>("rekey.token.requests", "{request}",
        "Client-credentials token requests that reached the issuer (/oauth2/{serviceId}/token and /api/{serviceId}/auth/token), by outcome and client authentication method.");

    private static readonly Counter<long> AuthFailures = Meter.CreateCounter<long>("rekey.auth.failures", "{failure}",
        "Refused authentications: a client at the token or introspection endpoints, or a bearer token at /api.");

    private static readonly Counter<long> LimiterRefusals = Meter.CreateCounter<long>("rekey.auth.limiter.refusals", "{request}",
        "Requests refused by the failed-authentication limiter (429 temporarily_unavailable, A127105).");

    private static readonly Counter<long> Changes = Meter.CreateCounter<long>("rekey.changes", "{change}",
        "Audited changes asked for through /api (secret updates, refreshes, revocations, clients, services, keys, tokens), by action and outcome.");

    public static readonly Histogram<double> UnitDuration = Meter.CreateHistogram<double>("rekey.store.unit.duration", "s",
        "One store unit of work as its caller waits for it: queueing for the SQLite writer, statements, COMMIT and the flush that makes it durable.");

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("rekey.store.commit.duration", "s",
        "COMMIT alone (SQLite: one per group-committed batch; PostgreSQL: the round trip that carries the deferred writes and COMMIT).");

    private static readonly Counter<long> WebhookAttempts = Meter.CreateCounter<long>("rekey.webhook.attempts", "{attempt}",
        "Webhook delivery attempts by outcome: delivered (2xx), retrying (another attempt is scheduled) or failed (no attempt left).");

    private static readonly Histogram<double> WebhookAttemptDuration = Meter.CreateHistogram<double>("rekey.webhook.attempt.duration", "s",
        "One webhook delivery attempt, connection included, until the receiver's status (or the timeout).");

    private static readonly Counter<long> SecretNotices = Meter.CreateCounter<long>("rekey.events.secret_notices", "{event}",
        "Secret notices the expiry sweep gave (client.secret.expiring, expired, grace_ended), by type.");

    private static readonly Counter<long> LeakReports = Meter.CreateCounter<long>("rekey.leaks.reported", "{value}",
        "Values reported leaked, by reporter (api, github) and outcome: matched (a live secret, the leak response applied), unmatched, or replayed (a signed report seen before).");

    private static readonly Counter<long> Registrations = Meter.CreateCounter<long>("rekey.registrations", "{request}",
        "Requests at the RFC 7591 registration endpoint by outcome: created, invalid_metadata, invalid_token, closed, rate_limited.");

    /// <summary>The cache the instruments below observe (one per process; a later one, in tests, replaces it).</summary>
    public static void ObserveCache(Storage.VerificationCache cache) => s_cache = new WeakReference<Storage.VerificationCache>(cache);

    private static WeakReference<Storage.VerificationCache>? s_cache;

    /// <summary>Read from the cache's own counts when collected: a lookup counts once, not once more for the metric.</summary>
    private static readonly ObservableCounter<long> CacheLookups = Meter.CreateObservableCounter("rekey.cache.lookups",
        () => s_cache is { } w && w.TryGetTarget(out var c) && c.Lookups is var (hits, misses, bypasses)
            ? [Outcome(hits, "hit"), Outcome(misses, "miss"), Outcome(bypasses, "bypass")]
            : Array.Empty<Measurement<long>>(), "{lookup}",
        "Lookups of the verification cache by outcome: hit, miss (read from the store and kept), bypass (the cache was not serving: read from the store).");

    private static Measurement<long> Outcome(long value, string outcome) => new(value, new KeyValuePair<string, object?>("rekey.outcome", outcome));

    private static readonly ObservableGauge<long> CacheBytes = Meter.CreateObservableGauge("rekey.cache.bytes",
        () => s_cache is { } w && w.TryGetTarget(out var c) ? [new Measurement<long>(c.Bytes)] : Array.Empty<Measurement<long>>(), "By",
        "Estimated memory the verification cache's entries hold (bounded by Rekey:Cache:MaxMegabytes).");

    private static readonly ObservableGauge<long> CacheEntries = Meter.CreateObservableGauge("rekey.cache.entries",
        () => s_cache is { } w && w.TryGetTarget(out var c) ? [new Measurement<long>(c.Count)] : Array.Empty<Measurement<long>>(), "{entry}",
        "Services and clients in the verification cache.");

    /// <summary>One request at <c>/oauth2/{serviceId}/register</c> and how it ended.</summary>
    public static void Registration(string outcome) =>
        Registrations.Add(1, new KeyValuePair<string, object?>("rekey.outcome", outcome));

    /// <summary>Counts the values of one report by what they turned out to be; never the values.</summary>
    public static void LeaksReported(string reporter, int matched, int unmatched, bool replayed)
    {
        if (!LeakReports.Enabled)
        {
            return;
        }

        var tag = new KeyValuePair<string, object?>("rekey.leak.reporter", reporter);
        if (replayed)
        {
            LeakReports.Add(matched + unmatched, tag, new KeyValuePair<string, object?>("rekey.outcome", "replayed"));
            return;
        }

        if (matched > 0)
        {
            LeakReports.Add(matched, tag, new KeyValuePair<string, object?>("rekey.outcome", "matched"));
        }

        if (unmatched > 0)
        {
            LeakReports.Add(unmatched, tag, new KeyValuePair<string, object?>("rekey.outcome", "unmatched"));
        }
    }

    public static void WebhookAttempted(string outcome, TimeSpan elapsed)
    {
        if (WebhookAttempts.Enabled)
        {
            WebhookAttempts.Add(1, new KeyValuePair<string, object?>("rekey.outcome", outcome));
        }

        if (WebhookAttemptDuration.Enabled)
        {
            WebhookAttemptDuration.Record(elapsed.TotalSeconds);
        }
    }

    public static void NoticesGiven(string type, int count)
    {
        if (SecretNotices.Enabled && count > 0)
        {
            SecretNotices.Add(count, new KeyValuePair<string, object?>("rekey.event.type", type));
        }
    }

    public static void TokenRequest(string outcome, string authMethod)
    {
        if (TokenRequests.Enabled)
        {
            TokenRequests.Add(1, new("rekey.outcome", outcome), new("rekey.auth.method", authMethod));
        }
    }

    public static void AuthenticationFailed(string authMethod)
    {
        if (AuthFailures.Enabled)
        {
            AuthFailures.Add(1, new KeyValuePair<string, object?>("rekey.auth.method", authMethod));
        }
    }

    public static void LimiterRefused() => LimiterRefusals.Add(1);

    public static void Changed(string action, bool succeeded)
    {
        if (Changes.Enabled)
        {
            Changes.Add(1, new("rekey.action", action), new("rekey.outcome", succeeded ? "success" : "refused"));
        }
    }

    public static void Committed(string engine, TimeSpan elapsed)
    {
        if (CommitDuration.Enabled)
        {
            CommitDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("rekey.store.engine", engine));
        }
    }
}
