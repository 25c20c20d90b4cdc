using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Rekey.Bench.Hosts;
using Rekey.Bench.Targets;
using Rekey.Contracts;

namespace Rekey.Bench.Load;

/// <summary>What happens to node B's change feed before node A rotates the secret.</summary>
internal enum FeedFault
{
    /// <summary>Nothing: the notification of the rotation reaches node B through its feed.</summary>
    None,

    /// <summary>Its connection is terminated (<c>pg_terminate_backend</c>), as a network fault or an operator would.</summary>
    Killed,

    /// <summary>Its backend is stopped (<c>SIGSTOP</c>) until the trial ends: a feed that neither delivers nor fails.</summary>
    Stalled,
}

/// <summary>
/// Revocation propagation between the two nodes (<see cref="RekeyNodes"/>), measured once after the load rounds: how
/// long after node A acknowledged a rotation node B still accepts the old secret. A service with
/// <c>clientSecretGracePeriod</c> 0 (the old secret is refused as soon as the rotation commits), created through node A.
/// Each trial:
/// <list type="number">
/// <item>a new confidential client-credentials client, created through node A: each trial ends with a refusal, and the
/// server's failed-authentication limiter refuses a (client, caller address) pair with 429 after 10 failures a minute;</item>
/// <item>node B answers the current secret from its cache: three token requests, all 200, during which none of node
/// B's own database connections started a query (<c>pg_stat_activity.query_start</c> of <c>application_name</c>
/// <c>node-b</c>; the feed's connection is <c>node-b:change-feed</c>, another name); tried again until it holds, which
/// is also how the trials wait for node B's cache to serve again after a killed or stalled feed;</item>
/// <item>the fault of the variant, if any, on node B's feed;</item>
/// <item>node A rotates the secret to a new one; t0 is when its 200 arrived;</item>
/// <item>node B is asked with the old secret, back to back, until it answers 401. The propagation is the start of that
/// request minus t0; a request that node B accepted and that started more than <see cref="Bound"/> after t0 breaks the
/// documented bound;</item>
/// <item>node B answers the new secret from its cache again: how long after the fault it took is reported too.</item>
/// </list>
/// Polling starts after t0, so no figure is negative; a trial whose first poll was refused already is counted.
/// </summary>
internal sealed class Propagation(int trials)
{
    /// <summary>How <c>--only</c> names it.</summary>
    public const string Key = "propagation";

    /// <summary>The documented bound: <c>Rekey:Cache:StalenessMilliseconds</c>, default 1000, which the nodes run with.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    /// <summary>The longest a trial waits for node B to serve from its cache, or to refuse the old secret, before it counts as failed.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public int Trials => trials;

    /// <summary>Every variant's trials; unavailable (with the reason) when the nodes cannot be started or set up.</summary>
    public async Task<PropagationResult> RunAsync(Fixtures fixtures, TextWriter log, CancellationToken ct)
    {
        Session session;
        try
        {
            session = await Session.StartAsync(await fixtures.GetAsync(RekeyNodes.Key, RekeyNodes.StartAsync, ct), ct);
        }
        catch (TargetUnavailableException ex)
        {
            return new PropagationResult(trials, [], ex.Message);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is HttpRequestException or InvalidOperationException or Npgsql.NpgsqlException)
        {
            return new PropagationResult(trials, [], $"set-up failed: {ex.GetType().Name}: {ex.Message}");
        }

        using (session)
        {
            var variants = new List<PropagationVariant>();
            foreach (var fault in Enum.GetValues<FeedFault>())
            {
                var variant = await session.RunAsync(fault, trials, ct);
                log.WriteLine(variant.Unavailable is { } reason
                    ? $"propagation {variant.Name,-13} {reason}"
                    : string.Create(CultureInfo.InvariantCulture,
                        $"propagation {variant.Name,-13} {variant.Completed.Count} trials  p50 {variant.P50Ms,6:0.0} ms  p95 {variant.P95Ms,6:0.0} ms  max {variant.MaxMs,6:0.0} ms  " +
                        $"refused at the first poll {variant.RefusedAtFirstPoll}  accepted > {Bound.TotalMilliseconds:0} ms after t0: {variant.AcceptedAfterBound}  " +
                        $"cache serving again after p50 {variant.RecoveryP50Ms:0} ms, max {variant.RecoveryMaxMs:0} ms  errors {variant.Errors}"));
                variants.Add(variant);
            }

            return new PropagationResult(trials, variants, null);
        }
    }

    /// <summary>The trials' state: the nodes, the client and its current secret, one clock.</summary>
    private sealed class Session : IDisposable
    {
        private readonly RekeyNodes _nodes;
        private readonly HttpClient _admin;
        private readonly HttpClient _b;
        private readonly long _serviceId;
        private readonly Uri _tokenB;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private string _clientId = "";
        private string _secret = "";
        private int _rotations;

        private Session(RekeyNodes nodes, HttpClient admin, long serviceId)
        {
            _nodes = nodes;
            _admin = admin;
            _b = new HttpClient { BaseAddress = nodes.B.Process.BaseAddress, Timeout = Patience };
            _serviceId = serviceId;
            _tokenB = new Uri(nodes.B.Process.BaseAddress, $"oauth2/{serviceId.ToString(CultureInfo.InvariantCulture)}/token");
        }

        private PostgresCluster Cluster => _nodes.Database.Cluster;

        public static async Task<Session> StartAsync(RekeyNodes nodes, CancellationToken ct)
        {
            var admin = nodes.A.CreateAdminClient();
            try
            {
                using var created = await admin.PostAsJsonAsync("api/service/create",
                    new ServiceDocument { ServiceName = "propagation", ClientSecretGracePeriod = 0 }, RekeyJsonContext.Default.ServiceDocument, ct);
                var body = await created.Content.ReadAsStringAsync(ct);
                var service = created.IsSuccessStatusCode ? System.Text.Json.JsonSerializer.Deserialize(body, RekeyJsonContext.Default.ServiceDocument) : null;
                var serviceId = service?.ApiKey ?? throw new InvalidOperationException($"service/create answered {(int)created.StatusCode}: {body}");
                return new Session(nodes, admin, serviceId);
            }
            catch
            {
                admin.Dispose();
                throw;
            }
        }

        public async Task<PropagationVariant> RunAsync(FeedFault fault, int count, CancellationToken ct)
        {
            var name = fault switch
            {
                FeedFault.None => "feed up",
                FeedFault.Killed => "feed killed",
                _ => "feed stalled",
            };
            if (fault == FeedFault.Stalled && await CannotSignalAsync(ct) is { } reason)
            {
                return new PropagationVariant(name, reason, []);
            }

            var results = new List<PropagationTrial>(count);
            for (var i = 0; i < count; i++)
            {
                results.Add(await TrialAsync(fault, ct));
            }

            return new PropagationVariant(name, null, results);
        }

        private async Task<PropagationTrial> TrialAsync(FeedFault fault, CancellationToken ct)
        {
            var client = (await RekeyServerHost.CreateClientsAsync(_admin, _serviceId, 1, parallelism: 1, ct))[0];
            _clientId = client.ClientId.ToString(CultureInfo.InvariantCulture);
            _secret = client.Secret;
            if (await ServingAsync(ct) is { } notServing)
            {
                return PropagationTrial.Failed(notServing);
            }

            var faultAt = _clock.Elapsed;
            int? stopped = null;
            if (fault == FeedFault.Killed)
            {
                var killed = await Cluster.ScalarAsync<long>("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND datname = $2",
                    ct, RekeyNodes.FeedOf(RekeyNodes.NameB), _nodes.Database.Name);
                if (killed != 1)
                {
                    return PropagationTrial.Failed($"{killed} change feed connections of node B to terminate, not 1");
                }
            }
            else if (fault == FeedFault.Stalled)
            {
                stopped = await FeedBackendAsync(ct);
                if (stopped is null)
                {
                    return PropagationTrial.Failed("node B has no change feed connection to stall");
                }

                if (await SignalAsync("STOP", stopped.Value, ct) is { } failed)
                {
                    return PropagationTrial.Failed(failed);
                }
            }

            PropagationTrial trial;
            try
            {
                trial = await RotateAndPollAsync(ct);
            }
            finally
            {
                if (stopped is { } pid)
                {
                    await SignalAsync("CONT", pid, CancellationToken.None);
                }
            }

            if (trial.Error is not null)
            {
                return trial;
            }

            return await ServingAsync(ct) is { } lost
                ? PropagationTrial.Failed("after the trial: " + lost)
                : trial with { RecoveryMs = (_clock.Elapsed - faultAt).TotalMilliseconds };
        }

        /// <summary>Steps (b) and (c): the rotation on node A, then node B asked with the old secret until it refuses it.</summary>
        private async Task<PropagationTrial> RotateAndPollAsync(CancellationToken ct)
        {
            var old = _secret;
            var next = Secrets.Next(++_rotations);
            using (var rotated = await _admin.PostAsJsonAsync($"api/{_serviceId}/client/secret/update/{_clientId}",
                       new ClientSecretUpdateRequest { ClientSecret = next }, RekeyJsonContext.Default.ClientSecretUpdateRequest, ct))
            {
                var body = await rotated.Content.ReadAsStringAsync(ct);
                if (!rotated.IsSuccessStatusCode)
                {
                    return PropagationTrial.Failed($"node A answered the rotation with {(int)rotated.StatusCode}: {body}");
                }
            }

            var t0 = _clock.Elapsed;
            _secret = next;
            TimeSpan? lastAccepted = null;
            for (var polls = 1; ; polls++)
            {
                var start = _clock.Elapsed;
                var status = await TokenAsync(old, ct);
                switch (status)
                {
                    case 401:
                        return new PropagationTrial((start - t0).TotalMilliseconds, (lastAccepted - t0)?.TotalMilliseconds, polls, null);
                    case 200:
                        lastAccepted = start;
                        break;
                    default:
                        return PropagationTrial.Failed($"node B answered {status} to the old secret");
                }

                if (_clock.Elapsed - t0 > Patience)
                {
                    return PropagationTrial.Failed($"node B still accepted the old secret {Patience.TotalSeconds:0} s after the rotation");
                }
            }
        }

        /// <summary>
        /// Null once node B answers the current secret from its cache (three 200s, no query started by its own
        /// connections meanwhile); otherwise, after <see cref="Patience"/>, why not.
        /// </summary>
        private async Task<string?> ServingAsync(CancellationToken ct)
        {
            var deadline = _clock.Elapsed + Patience;
            while (true)
            {
                var before = await ActivityAsync(ct);
                for (var i = 0; i < 3; i++)
                {
                    if (await TokenAsync(_secret, ct) is var status and not 200)
                    {
                        return $"node B answered {status} to the current secret";
                    }
                }

                if (await ActivityAsync(ct) == before)
                {
                    return null;
                }

                if (_clock.Elapsed > deadline)
                {
                    return $"node B's token requests still read the database {Patience.TotalSeconds:0} s later (its cache did not serve)";
                }

                await Task.Delay(50, ct);
            }
        }

        /// <summary>Node B's own connections (not its feed's) and when each last started a query: unchanged while it reads nothing.</summary>
        private Task<string> ActivityAsync(CancellationToken ct) =>
            Cluster.ScalarAsync<string>(
                "SELECT coalesce(string_agg(pid::text || '@' || coalesce(query_start::text, ''), ',' ORDER BY pid), '') FROM pg_stat_activity WHERE application_name = $1 AND datname = $2",
                ct, RekeyNodes.NameB, _nodes.Database.Name);

        private async Task<int?> FeedBackendAsync(CancellationToken ct)
        {
            var pid = await Cluster.ScalarAsync<int>("SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE application_name = $1 AND datname = $2",
                ct, RekeyNodes.FeedOf(RekeyNodes.NameB), _nodes.Database.Name);
            return pid == 0 ? null : pid;
        }

        /// <summary>Why node B's feed cannot be stalled from here (a cluster run by a user this process may not signal), or null.</summary>
        private async Task<string?> CannotSignalAsync(CancellationToken ct)
        {
            // After the killed variant, node B's feed may still be connecting again.
            var deadline = _clock.Elapsed + Patience;
            var pid = await FeedBackendAsync(ct);
            while (pid is null && _clock.Elapsed < deadline)
            {
                await Task.Delay(50, ct);
                pid = await FeedBackendAsync(ct);
            }

            return pid is null ? "not available: node B has no change feed connection"
                : await SignalAsync("0", pid.Value, ct) is { } failed ? $"not available: cannot signal the feed's backend ({failed})" : null;
        }

        /// <summary>Sends a signal with kill(1); null when it was sent, else what kill said.</summary>
        private static async Task<string?> SignalAsync(string signal, int pid, CancellationToken ct)
        {
            var (code, output) = await PostgresCluster.ExecAsync(["kill", "-" + signal, pid.ToString(CultureInfo.InvariantCulture)], ct);
            return code == 0 ? null : $"kill -{signal} {pid} exited with {code}: {output.Trim()}";
        }

        private async Task<int> TokenAsync(string secret, CancellationToken ct)
        {
            using var request = TokenTarget.Request(_tokenB, TokenTarget.Basic(_clientId, secret));
            using var response = await _b.SendAsync(request, ct);
            await response.Content.ReadAsByteArrayAsync(ct);
            return (int)response.StatusCode;
        }

        public void Dispose()
        {
            _admin.Dispose();
            _b.Dispose();
        }
    }
}

/// <summary>
/// One trial: milliseconds from t0 to the start of node B's first refusal, and to the start of the last request it
/// accepted with the old secret (null: none), the requests it took, and the milliseconds from the fault (or, with
/// none, from just before the rotation) until node B answered from its cache again; or why it failed.
/// </summary>
internal sealed record PropagationTrial(double PropagationMs, double? LastAcceptedMs, int Polls, string? Error)
{
    public double RecoveryMs { get; init; } = double.NaN;

    public static PropagationTrial Failed(string error) => new(double.NaN, null, 0, error);
}

/// <summary>One variant's trials and what is reported of them (nearest-rank percentiles of the completed trials).</summary>
internal sealed record PropagationVariant(string Name, string? Unavailable, IReadOnlyList<PropagationTrial> Trials)
{
    public IReadOnlyList<PropagationTrial> Completed => Trials.Where(t => t.Error is null).ToList();

    public double P50Ms => Quantile(t => t.PropagationMs, 0.50);

    public double P95Ms => Quantile(t => t.PropagationMs, 0.95);

    public double MaxMs => Quantile(t => t.PropagationMs, 1);

    /// <summary>Trials whose first request with the old secret was refused already.</summary>
    public int RefusedAtFirstPoll => Completed.Count(t => t.Polls == 1);

    /// <summary>Trials in which node B accepted the old secret in a request that started later than the bound after t0: must be 0.</summary>
    public int AcceptedAfterBound => Completed.Count(t => t.LastAcceptedMs > Propagation.Bound.TotalMilliseconds);

    /// <summary>The latest start, after t0, of a request node B accepted with the old secret (NaN: none was).</summary>
    public double LastAcceptedMaxMs => Completed.Select(t => t.LastAcceptedMs).OfType<double>().DefaultIfEmpty(double.NaN).Max();

    /// <summary>The median time until node B's cache served again after the fault: meanwhile every token request it answers reads the database.</summary>
    public double RecoveryP50Ms => Quantile(t => t.RecoveryMs, 0.50);

    public double RecoveryMaxMs => Quantile(t => t.RecoveryMs, 1);

    public int Errors => Trials.Count(t => t.Error is not null);

    public IEnumerable<string> ErrorSamples => Trials.Select(t => t.Error).OfType<string>().Distinct().Take(3);

    private double Quantile(Func<PropagationTrial, double> figure, double p)
    {
        var sorted = Completed.Select(figure).Order().ToList();
        return sorted.Count == 0 ? double.NaN : Round.NearestRank(sorted, p);
    }
}

/// <summary>The propagation trials of a run: trials per variant and each variant; or why none ran.</summary>
internal sealed record PropagationResult(int TrialsPerVariant, IReadOnlyList<PropagationVariant> Variants, string? Unavailable);
