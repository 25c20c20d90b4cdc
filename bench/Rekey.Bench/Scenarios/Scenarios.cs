using Rekey.Bench.Load;
using Rekey.Bench.Targets;

namespace Rekey.Bench.Scenarios;

internal enum Metric
{
    Rps,
    P50,
    P99,

    /// <summary>Transactions of the target's PostgreSQL database per request.</summary>
    DatabaseRoundTrips,
}

/// <summary>
/// A target ratio: <c>numerator.metric / denominator.metric</c>, both measured in the same run. The ratio is taken
/// round by round (the two windows of a round are seconds apart, so they share the machine's mood) and the median
/// of those paired ratios is reported, with the smallest and largest as the spread.
/// Without a denominator it is a single figure of the numerator, judged the same way (median of its rounds, spread).
/// A check without a bound is informational.
/// </summary>
internal sealed record RatioCheck(string Name, string Numerator, string? Denominator, Metric Metric, double? AtLeast = null, double? AtMost = null,
    string? NotRunReason = null)
{
    public RatioOutcome Evaluate(IReadOnlyDictionary<string, TargetResult> results)
    {
        if (NotRunReason is not null)
        {
            return new RatioOutcome(this, double.NaN, double.NaN, double.NaN, "N/A", NotRunReason);
        }

        // A single figure (no denominator) needs only its numerator.
        if (!results.TryGetValue(Numerator, out var num) || !results.TryGetValue(Denominator ?? Numerator, out var den))
        {
            return new RatioOutcome(this, double.NaN, double.NaN, double.NaN, "N/A", "not part of this run");
        }

        if (num.Target.Unavailable is not null || den.Target.Unavailable is not null)
        {
            return new RatioOutcome(this, double.NaN, double.NaN, double.NaN, "N/A", num.Target.Unavailable ?? den.Target.Unavailable);
        }

        var paired = (Denominator is null ? num.Rounds.Select(Value) : num.Rounds.Zip(den.Rounds, (n, d) => Value(n) / Value(d)))
            .Where(v => !double.IsNaN(v) && !double.IsInfinity(v)).ToArray();
        var ratio = TargetResult.Median(paired);
        var min = paired.Length == 0 ? double.NaN : paired.Min();
        var max = paired.Length == 0 ? double.NaN : paired.Max();
        if (!num.Valid || !den.Valid)
        {
            return new RatioOutcome(this, ratio, min, max, "INVALID", "errors: " + string.Join(", ", new[] { num, den }.Distinct().Select(t => $"{t.Target.Key} {t.Errors}")));
        }

        var status = (AtLeast, AtMost) switch
        {
            (null, null) => "info",
            ({ } low, _) when ratio < low => "MISS",
            (_, { } high) when ratio > high => "MISS",
            _ => "PASS",
        };
        return new RatioOutcome(this, ratio, min, max, status, null);
    }

    private double Value(Round round) => Metric switch
    {
        Metric.Rps => round.Rps,
        Metric.P50 => round.P50Ms,
        Metric.DatabaseRoundTrips => round.DatabaseRoundTripsPerRequest ?? double.NaN,
        _ => round.P99Ms,
    };

    public string Bound => (AtLeast, AtMost) switch
    {
        ({ } low, _) => $"≥ {low:0.##}",
        (_, { } high) => $"≤ {high:0.##}",
        _ => "—",
    };
}

internal sealed record RatioOutcome(RatioCheck Check, double Ratio, double Min, double Max, string Status, string? Note);

/// <summary>
/// A named set of targets measured together and the ratios that judge them; and what it measures once after the load
/// rounds (the scaleout scenario's revocation propagation).
/// </summary>
internal sealed record Scenario(string Name, string Summary, Func<BenchOptions, IEnumerable<Target>> Targets, Func<BenchOptions, IEnumerable<RatioCheck>> Checks,
    Func<BenchOptions, Propagation>? Afterwards = null);

internal static class ScenarioCatalog
{
    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("update",
            "Secret update through the real server: durable (FULL) at 1 and N callers over a pool of clients, one hot client at N, NORMAL at N; ceiling at 1 and N.",
            o =>
            [
                new CeilingTarget(1), new UpdateTarget("FULL", hot: false, 1),
                new CeilingTarget(o.Concurrency), new UpdateTarget("FULL", hot: false, o.Concurrency),
                new UpdateTarget("FULL", hot: true, o.Concurrency), new UpdateTarget("NORMAL", hot: false, o.Concurrency),
            ],
            o =>
            [
                new($"durable update (pool) @{o.Concurrency} rps / ceiling rps", $"update-full-pool@{o.Concurrency}", $"ceiling@{o.Concurrency}", Metric.Rps, AtLeast: 0.5),
                new($"durable update (pool) @{o.Concurrency} p99 / ceiling p99", $"update-full-pool@{o.Concurrency}", $"ceiling@{o.Concurrency}", Metric.P99, AtMost: 4),
                new($"FULL / NORMAL rps (pool) @{o.Concurrency}", $"update-full-pool@{o.Concurrency}", $"update-normal-pool@{o.Concurrency}", Metric.Rps, AtLeast: 0.5),
                new($"hot client / pool rps (FULL) @{o.Concurrency}", $"update-full-hot@{o.Concurrency}", $"update-full-pool@{o.Concurrency}", Metric.Rps),
                new("durable update @1 rps / ceiling @1 rps", "update-full-pool@1", "ceiling@1", Metric.Rps),
                new("durable update @1 p50 / ceiling @1 p50", "update-full-pool@1", "ceiling@1", Metric.P50),
            ]),
        new("token",
            "Client-credentials token request (RFC 6749 §4.4, client_secret_basic): Rekey vs OpenIddict 7.8.0 (defaults, and lean), ceiling at N.",
            o =>
            [
                new CeilingTarget(o.Concurrency), TokenTarget.Rekey(o.Concurrency),
                TokenTarget.OpenIddict(lean: false, o.Concurrency), TokenTarget.OpenIddict(lean: true, o.Concurrency),
            ],
            o =>
            [
                new($"client credentials rps / OpenIddict rps @{o.Concurrency}", $"token-rekey@{o.Concurrency}", $"token-openiddict@{o.Concurrency}", Metric.Rps, AtLeast: 10),
                new($"client credentials rps / ceiling rps @{o.Concurrency}", $"token-rekey@{o.Concurrency}", $"ceiling@{o.Concurrency}", Metric.Rps, AtLeast: 0.4),
                new($"client credentials rps / OpenIddict-lean rps @{o.Concurrency}", $"token-rekey@{o.Concurrency}", $"token-openiddict-lean@{o.Concurrency}", Metric.Rps),
                new($"OpenIddict rps / ceiling rps @{o.Concurrency}", $"token-openiddict@{o.Concurrency}", $"ceiling@{o.Concurrency}", Metric.Rps),
            ]),
        new("postgres",
            "Secret update on a PostgreSQL store vs pgbench -N on the same throwaway cluster, same number of clients.",
            o => [new PgbenchTarget(o.Concurrency), UpdateTarget.Postgres(o.Concurrency)],
            o =>
            [
                new($"PostgreSQL update rps / pgbench -N TPS @{o.Concurrency}", $"update-postgres-pool@{o.Concurrency}", $"pgbench-N@{o.Concurrency}", Metric.Rps, AtLeast: 0.6),
            ]),
        new("scaleout",
            "Issue #20: client credentials on SQLite and on PostgreSQL, with the verification cache and without it (before #20), on one node and on two nodes of one database, at N; " +
            "the database's round trips and CPU per token; then revocation propagation between the two nodes (feed up, killed, stalled).",
            o =>
            [
                TokenTarget.Rekey(o.Concurrency), TokenTarget.RekeyNoCache(o.Concurrency), TokenTarget.Postgres(o.Concurrency),
                TokenTarget.PostgresNoCache(o.Concurrency), TokenTarget.PostgresNodes(o.Concurrency),
            ],
            o =>
            [
                new($"client credentials rps, PostgreSQL / SQLite @{o.Concurrency}", $"token-postgres@{o.Concurrency}", $"token-rekey@{o.Concurrency}", Metric.Rps, AtLeast: 0.9),
                new($"client credentials p99, PostgreSQL / SQLite @{o.Concurrency}", $"token-postgres@{o.Concurrency}", $"token-rekey@{o.Concurrency}", Metric.P99),
                new($"client credentials rps, PostgreSQL / SQLite, cache off (before #20) @{o.Concurrency}", $"token-postgres-nocache@{o.Concurrency}", $"token-rekey-nocache@{o.Concurrency}", Metric.Rps),
                new($"client credentials rps, SQLite with cache / SQLite cache off @{o.Concurrency}", $"token-rekey@{o.Concurrency}", $"token-rekey-nocache@{o.Concurrency}", Metric.Rps),
                new($"client credentials rps, two nodes aggregate / one node, PostgreSQL @{o.Concurrency}", $"token-postgres-2nodes@{o.Concurrency}", $"token-postgres@{o.Concurrency}", Metric.Rps),
                new($"database round trips per token (PostgreSQL, one node) @{o.Concurrency}", $"token-postgres@{o.Concurrency}", null, Metric.DatabaseRoundTrips, AtMost: 0.05),
                new($"database round trips per token (PostgreSQL, one node, cache off) @{o.Concurrency}", $"token-postgres-nocache@{o.Concurrency}", null, Metric.DatabaseRoundTrips),
            ],
            o => new Propagation(o.Short ? 20 : 200)),
        new("outbox",
            "Secret update with no webhook vs one enabled webhook whose receiver answers 204 (the dispatcher delivering meanwhile), SQLite FULL and PostgreSQL; events delivered per second and the backlog left.",
            o =>
            [
                OutboxTarget.Create("sqlite", webhook: false, o.Concurrency), OutboxTarget.Create("sqlite", webhook: true, o.Concurrency),
                OutboxTarget.Create("postgres", webhook: false, o.Concurrency), OutboxTarget.Create("postgres", webhook: true, o.Concurrency),
            ],
            o =>
            [
                new($"update with one webhook / without, rps (SQLite FULL) @{o.Concurrency}", $"update-sqlite-webhook@{o.Concurrency}", $"update-sqlite-nowebhook@{o.Concurrency}", Metric.Rps),
                new($"update with one webhook / without, p99 (SQLite FULL) @{o.Concurrency}", $"update-sqlite-webhook@{o.Concurrency}", $"update-sqlite-nowebhook@{o.Concurrency}", Metric.P99),
                new($"update with one webhook / without, rps (PostgreSQL) @{o.Concurrency}", $"update-postgres-webhook@{o.Concurrency}", $"update-postgres-nowebhook@{o.Concurrency}", Metric.Rps),
                new($"update with one webhook / without, p99 (PostgreSQL) @{o.Concurrency}", $"update-postgres-webhook@{o.Concurrency}", $"update-postgres-nowebhook@{o.Concurrency}", Metric.P99),
            ]),
        new("scale",
            "1 thousand vs N (default 1 million) clients, seeded through client/create: update and token latency, db size per client, server peak memory.",
            o =>
            [
                UpdateTarget.Registry(1_000, o.Concurrency, o.SeedBudget), UpdateTarget.Registry(o.ScaleClients, o.Concurrency, o.SeedBudget),
                TokenTarget.Registry(1_000, o.Concurrency, o.SeedBudget), TokenTarget.Registry(o.ScaleClients, o.Concurrency, o.SeedBudget),
            ],
            o =>
            [
                new($"update p50 at {UpdateTarget.Count(o.ScaleClients)} / at 1k clients", $"update-registry-{UpdateTarget.Count(o.ScaleClients)}@{o.Concurrency}", $"update-registry-1k@{o.Concurrency}", Metric.P50, AtMost: 1.5),
                new($"update p99 at {UpdateTarget.Count(o.ScaleClients)} / at 1k clients", $"update-registry-{UpdateTarget.Count(o.ScaleClients)}@{o.Concurrency}", $"update-registry-1k@{o.Concurrency}", Metric.P99, AtMost: 1.5),
                new($"update rps at {UpdateTarget.Count(o.ScaleClients)} / at 1k clients", $"update-registry-{UpdateTarget.Count(o.ScaleClients)}@{o.Concurrency}", $"update-registry-1k@{o.Concurrency}", Metric.Rps),
                new($"token p50 at {UpdateTarget.Count(o.ScaleClients)} / at 1k clients", $"token-registry-{UpdateTarget.Count(o.ScaleClients)}@{o.Concurrency}", $"token-registry-1k@{o.Concurrency}", Metric.P50, AtMost: 1.5),
                new($"token p99 at {UpdateTarget.Count(o.ScaleClients)} / at 1k clients", $"token-registry-{UpdateTarget.Count(o.ScaleClients)}@{o.Concurrency}", $"token-registry-1k@{o.Concurrency}", Metric.P99, AtMost: 1.5),
            ]),
    ];

    /// <summary>
    /// The scenarios named by <paramref name="name"/>: "all" for every one, except that a short "all" leaves out
    /// "scale" (seeding a registry alone would take longer than the two minutes a short run is for), "outbox" (four
    /// more servers to seed, and a dispatcher to drain after each window) and "scaleout" (five more servers, and the
    /// propagation trials after the rounds).
    /// </summary>
    public static IReadOnlyList<Scenario> Select(string name, bool isShort) =>
        name == "all" ? All.Where(s => !(isShort && s.Name is "scale" or "outbox" or "scaleout")).ToList() : All.Where(s => s.Name == name).ToList() is { Count: > 0 } found
            ? found
            : throw new ArgumentException($"Unknown scenario '{name}'. Known: all, {string.Join(", ", All.Select(s => s.Name))}.");
}
