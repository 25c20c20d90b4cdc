using System.Globalization;
using System.Text;
using System.Text.Json;
using Rekey.Bench.Hosts;
using Rekey.Bench.Load;
using Rekey.Bench.Targets;

namespace Rekey.Bench.Report;

/// <summary>The run as a Markdown document (also what the console shows) and as JSON with every round.</summary>
internal static class Reporter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(RunResult run)
    {
        var o = run.Options;
        var e = run.Environment;
        var md = new StringBuilder();
        md.AppendLine(Inv, $"# Rekey load benchmark — {o.Scenario}{(o.Short ? " (short)" : "")}");
        md.AppendLine();
        md.AppendLine(Inv, $"- date (UTC): {run.Started:yyyy-MM-dd HH:mm:ss}, took {run.Elapsed.TotalSeconds:0} s");
        md.AppendLine(Inv, $"- machine: nproc {e.ProcessorCount}, {e.Cpu}, Linux {e.Kernel}, {e.Runtime}, {e.Configuration} build, commit {e.Commit}");
        md.AppendLine(Inv, $"- data directories: {e.DataFileSystem}");
        md.AppendLine(Inv, $"- load: closed loop, {o.Rounds} rounds x {o.Duration.TotalSeconds:0.#} s per target, alternating (forward, backward, …), {o.WarmUp.TotalSeconds:0.#} s warm-up each; " +
            $"one SocketsHttpHandler, keep-alive; pool of {o.PoolSize} clients; servers' log level {o.ServerLogLevel}");
        md.AppendLine("- figures: medians of rounds (max: worst round); any error marks a figure invalid (✗)");
        md.AppendLine();
        md.AppendLine("| target | callers | req/s | rounds min–max | p50 ms | p99 ms | max ms | errors |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var t in run.Targets)
        {
            if (t.Target.Unavailable is { } reason)
            {
                md.AppendLine(Inv, $"| {t.Target.Key} — {t.Target.Label} | {t.Target.Concurrency} | {reason} | | | | | |");
                continue;
            }

            var mark = t.Valid ? "" : " ✗";
            md.AppendLine(Inv,
                $"| {t.Target.Key} — {Describe(t.Target)} | {t.Target.Concurrency} | {t.Rps:0}{mark} | {t.RpsMin:0}–{t.RpsMax:0} | {t.P50Ms:0.000} | {t.P99Ms:0.000} | {t.MaxMs:0.0} | {t.Errors} |");
        }

        md.AppendLine();
        md.AppendLine("What bounds them (medians of rounds; CPU from /proc, fsyncs counted with perf on the syscall tracepoints):");
        md.AppendLine();
        md.AppendLine("| target | server CPU µs/req | load-gen CPU µs/req | machine busy | steal | busiest server thread (cores) | fsync/s | req/fsync | server write B/req (calls) | server ctx switches/req |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (var t in run.Targets.Where(t => t.Measured))
        {
            md.AppendLine(Inv,
                $"| {t.Target.Key} | {Whole(t.ServerCpuUs)} | {Whole(t.LoadCpuUs)} | {t.MachineBusy:P0} | {t.Steal:P1} | {(t.BusiestThread is { } b ? $"{b.Name} {b.Cores:0.00}" : "—")} | {Num(t.SyncsPerSecond)} | {Num(t.RequestsPerSync)} | {Whole(t.WriteBytesPerRequest)} ({t.WriteCallsPerRequest:0.0}) | {t.ContextSwitchesPerRequest:0.0} |");
        }

        var onPostgres = run.Targets.Where(t => t.HasDatabase).ToList();
        if (onPostgres.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("The database's share, for targets on PostgreSQL (round trips: transactions of the target's own database, `xact_commit + xact_rollback` of " +
                $"`pg_stat_database`, read before the window and {PostgresCluster.StatisticsFlush.TotalSeconds:0.0} s after it, then every {PostgresCluster.SettleInterval.TotalSeconds:0.0} s until it settles (every backend flushed its counts), " +
                "the change feeds' heartbeats (5/s per node) included; CPU: the whole cluster, postmaster and all its processes, from /proc over the window; " +
                "both per request; the server CPU split by node where the requests alternate over two):");
            md.AppendLine();
            md.AppendLine("| target | database round trips/req | database CPU µs/req | server CPU µs/req | by node |");
            md.AppendLine("| --- | ---: | ---: | ---: | --- |");
            foreach (var t in onPostgres)
            {
                md.AppendLine(Inv, $"| {t.Target.Key} | {Num(t.DatabaseRoundTrips)} | {Whole(t.DatabaseCpuUs)} | {Whole(t.ServerCpuUs)} | {ByNode(t)} |");
            }
        }

        md.AppendLine();
        md.AppendLine("| ratio or figure (same run, paired by round) | value | rounds min–max | target | status | note |");
        md.AppendLine("| --- | ---: | ---: | ---: | --- | --- |");
        foreach (var r in run.Ratios)
        {
            md.AppendLine(Inv, $"| {r.Check.Name} | {Num(r.Ratio)} | {Num(r.Min)}–{Num(r.Max)} | {r.Check.Bound} | {r.Status} | {r.Note} |");
        }

        var outbox = run.Targets.Select(t => t.Target).OfType<OutboxTarget>().Where(t => t.Webhook && t.Windows.Count > 0).ToList();
        if (outbox.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Outbox, per measured window of a target with a webhook: events the receiver got during the window (distinct event IDs), the backlog " +
                "when the window ended (deliveries queued and not yet received), how long the dispatcher then took to deliver it with no load, and events " +
                "received more than once meanwhile:");
            md.AppendLine();
            md.AppendLine("| target | round | updates/s | delivered/s | delivered / updates | backlog at the end | drained in | received twice |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var t in outbox)
            {
                for (var i = 0; i < t.Windows.Count; i++)
                {
                    var w = t.Windows[i];
                    md.AppendLine(Inv, $"| {t.Key} | {i + 1} | {w.UpdatesPerSecond:0} | {w.DeliveredPerSecond:0} | {w.Delivered / (double)w.Updates:0.00} | {w.Backlog} | " +
                        $"{(w.Drained is { } d ? $"{d.TotalSeconds:0.0} s" : "not drained")} | {w.SentAgain} |");
                }

                md.AppendLine(Inv, $"| {t.Key} | median | {TargetResult.Median(t.Windows.Select(w => w.UpdatesPerSecond)):0} | {TargetResult.Median(t.Windows.Select(w => w.DeliveredPerSecond)):0} | " +
                    $"{TargetResult.Median(t.Windows.Select(w => w.Delivered / (double)w.Updates)):0.00} | {TargetResult.Median(t.Windows.Select(w => (double)w.Backlog)):0} | | {t.Windows.Sum(w => w.SentAgain)} (sum) |");
            }
        }

        if (run.Propagation is { } propagation)
        {
            md.AppendLine();
            md.AppendLine(string.Create(Inv, $"Revocation propagation between the two nodes, {propagation.TrialsPerVariant} trials per variant: node A rotates the secret (grace period 0), ") +
                "t0 is when its 200 arrived; node B is then asked with the old secret, back to back, until it refuses it; the propagation is the start of that refusal " +
                string.Create(Inv, $"minus t0 (milliseconds). Before each trial node B answers the current secret from its cache, and after it the harness waits until it does again " +
                $"(the last column: from the fault, or from just before the rotation in the first variant); the bound is {Propagation.Bound.TotalMilliseconds:0} ms."));
            md.AppendLine();
            if (propagation.Unavailable is { } reason)
            {
                md.AppendLine(Inv, $"Not run: {reason}");
            }
            else
            {
                md.AppendLine("| variant | trials | p50 ms | p95 ms | max ms | refused at the first poll | last acceptance, latest (ms after t0) | accepted > bound after t0 | cache serving again after the fault, p50 / max ms | errors |");
                md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
                foreach (var v in propagation.Variants)
                {
                    md.AppendLine(v.Unavailable is { } why
                        ? $"| {v.Name} | {why} | | | | | | | | |"
                        : string.Create(Inv, $"| {v.Name} | {v.Completed.Count} | {Ms(v.P50Ms)} | {Ms(v.P95Ms)} | {Ms(v.MaxMs)} | {v.RefusedAtFirstPoll} | {Ms(v.LastAcceptedMaxMs)} | {v.AcceptedAfterBound} | {Whole(v.RecoveryP50Ms)} / {Whole(v.RecoveryMaxMs)} | {v.Errors} |"));
                }

                foreach (var v in propagation.Variants.Where(v => v.Errors > 0))
                {
                    md.AppendLine();
                    md.AppendLine(Inv, $"- {v.Name}: {v.Errors} trials failed, e.g. {string.Join(" | ", v.ErrorSamples)}");
                }
            }
        }

        var errors = run.Targets.Where(t => t.Errors > 0 || (t.WarmUp?.Errors ?? 0) > 0).ToList();
        if (errors.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Errors seen:");
            foreach (var t in errors)
            {
                var samples = t.Rounds.SelectMany(r => r.ErrorSamples).Concat(t.WarmUp?.ErrorSamples ?? []).Distinct().Take(3);
                md.AppendLine(Inv, $"- {t.Target.Key}: {t.Errors} in rounds, {t.WarmUp?.Errors ?? 0} in warm-up; e.g. {string.Join(" | ", samples)}");
            }
        }

        md.AppendLine();
        md.AppendLine("Servers (resident memory at the end / peak):");
        foreach (var s in run.Servers)
        {
            md.AppendLine(Inv, $"- {s.Name}: {Mib(s.ResidentBytes)} / {Mib(s.PeakResidentBytes)}");
        }

        if (run.Registries.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Rekey registries (SQLite files at the end of the run, — for a server on PostgreSQL; seeding through client/create; peak resident memory):");
            md.AppendLine();
            md.AppendLine("| server | clients | db + WAL | of which WAL | bytes per client | without the WAL | seeded at | set-up | peak RSS |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var r in run.Registries)
            {
                md.AppendLine(Inv, $"| {r.Name} | {r.Clients} | {Mib(r.DatabaseBytes)} | {Mib(r.LogBytes)} | {PerClient(r.DatabaseBytes, r.Clients)} | {PerClient(r.DatabaseBytes - (r.LogBytes ?? 0), r.Clients)} | {r.SeedRate:0} clients/s | {r.SetupTime.TotalSeconds:0.0} s | {Mib(r.PeakResidentBytes)} |");
            }

            md.AppendLine();
        }

        foreach (var peer in run.Targets.Select(t => t.Target).OfType<TokenTarget>())
        {
            if (peer.PeerInfo is { } info)
            {
                md.AppendLine(Inv, $"- {peer.Key} reports: {string.Join(", ", info.Select(kv => $"{kv.Key}={kv.Value}"))}");
            }
        }

        return md.ToString();
    }

    /// <summary>Each server's CPU per request, by its name, when the requests went to more than one.</summary>
    private static string ByNode(TargetResult t) =>
        t.NodeCpuUs.Count == 0 ? "—" : string.Join(", ", t.NodeCpuUs.Zip(t.Target.Servers, (us, server) => $"{server.Name} {Whole(us)}"));

    private static string Ms(double value) => double.IsNaN(value) ? "—" : value.ToString("0.0", Inv);

    private static string PerClient(long? bytes, int clients) => bytes is { } b ? (b / (double)clients).ToString("0", Inv) : "—";

    private static string Describe(Target target) => target switch
    {
        UpdateTarget { Hot: true } u => $"secret update, {u.Synchronous}, one hot client",
        UpdateTarget u => $"secret update, {u.Synchronous}, round-robin over {u.PoolSize} clients",
        _ => target.Label,
    };

    private static string Num(double value) => double.IsNaN(value) ? "—" : value == 0 ? "0" : value.ToString(value >= 100 ? "0" : value >= 0.01 ? "0.00" : "0.0000", Inv);

    private static string Whole(double value) => double.IsNaN(value) ? "—" : value.ToString("0", Inv);

    private static string Mib(long? bytes) => bytes is null ? "—" : $"{bytes.Value / 1048576.0:0} MiB";

    public static void WriteJson(RunResult run, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("scenario", run.Options.Scenario);
        w.WriteBoolean("short", run.Options.Short);
        w.WriteString("startedUtc", run.Started);
        w.WriteNumber("elapsedSeconds", Math.Round(run.Elapsed.TotalSeconds, 1));
        w.WriteStartObject("options");
        w.WriteNumber("durationSeconds", run.Options.Duration.TotalSeconds);
        w.WriteNumber("rounds", run.Options.Rounds);
        w.WriteNumber("warmUpSeconds", run.Options.WarmUp.TotalSeconds);
        w.WriteNumber("concurrency", run.Options.Concurrency);
        w.WriteNumber("poolSize", run.Options.PoolSize);
        w.WriteString("serverLogLevel", run.Options.ServerLogLevel);
        w.WriteEndObject();
        w.WriteStartObject("environment");
        var e = run.Environment;
        w.WriteNumber("nproc", e.ProcessorCount);
        w.WriteString("cpu", e.Cpu);
        w.WriteString("kernel", e.Kernel);
        w.WriteString("runtime", e.Runtime);
        w.WriteString("configuration", e.Configuration);
        w.WriteString("dataFileSystem", e.DataFileSystem);
        w.WriteString("commit", e.Commit);
        w.WriteEndObject();
        w.WriteStartArray("targets");
        foreach (var t in run.Targets)
        {
            w.WriteStartObject();
            w.WriteString("key", t.Target.Key);
            w.WriteString("label", t.Target.Label);
            w.WriteNumber("concurrency", t.Target.Concurrency);
            if (t.Target.Unavailable is { } reason)
            {
                w.WriteString("unavailable", reason);
            }
            else
            {
                w.WriteBoolean("valid", t.Valid);
                Number(w, "rps", t.Rps);
                Number(w, "p50Ms", t.P50Ms);
                Number(w, "p99Ms", t.P99Ms);
                Number(w, "maxMs", t.MaxMs);
                w.WriteNumber("errors", t.Errors);
                Number(w, "serverCpuUsPerRequest", t.ServerCpuUs);
                Number(w, "loadGeneratorCpuUsPerRequest", t.LoadCpuUs);
                Number(w, "machineBusy", t.MachineBusy);
                Number(w, "steal", t.Steal);
                if (t.HasDatabase)
                {
                    Number(w, "databaseRoundTripsPerRequest", t.DatabaseRoundTrips);
                    Number(w, "databaseCpuUsPerRequest", t.DatabaseCpuUs);
                }

                if (t.NodeCpuUs.Count > 0)
                {
                    w.WriteStartObject("serverCpuUsPerRequestByNode");
                    foreach (var (us, server) in t.NodeCpuUs.Zip(t.Target.Servers))
                    {
                        Number(w, server.Name, us);
                    }

                    w.WriteEndObject();
                }

                if (t.WarmUp is { } warm)
                {
                    w.WritePropertyName("warmUp");
                    WriteRound(w, warm);
                }

                w.WriteStartArray("rounds");
                foreach (var r in t.Rounds)
                {
                    WriteRound(w, r);
                }

                w.WriteEndArray();
            }

            if (t.Target is OutboxTarget { Webhook: true } outbox)
            {
                w.WriteStartObject("outbox");
                if (outbox.WarmUp is { } warm)
                {
                    w.WritePropertyName("warmUp");
                    WriteWindow(w, warm);
                }

                w.WriteStartArray("windows");
                foreach (var window in outbox.Windows)
                {
                    WriteWindow(w, window);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            if (t.Target is TokenTarget { PeerInfo: { } info })
            {
                w.WriteStartObject("peer");
                foreach (var (key, value) in info)
                {
                    w.WritePropertyName(key);
                    value.WriteTo(w);
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("ratios");
        foreach (var r in run.Ratios)
        {
            w.WriteStartObject();
            w.WriteString("name", r.Check.Name);
            w.WriteString("numerator", r.Check.Numerator);
            w.WriteString("denominator", r.Check.Denominator);
            w.WriteString("metric", r.Check.Metric.ToString());
            w.WriteString("bound", r.Check.Bound);
            Number(w, "ratio", r.Ratio);
            Number(w, "min", r.Min);
            Number(w, "max", r.Max);
            w.WriteString("status", r.Status);
            if (r.Note is not null)
            {
                w.WriteString("note", r.Note);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (run.Propagation is { } propagation)
        {
            WritePropagation(w, propagation);
        }

        w.WriteStartArray("servers");
        foreach (var s in run.Servers)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            Bytes(w, "residentBytes", s.ResidentBytes);
            Bytes(w, "peakResidentBytes", s.PeakResidentBytes);

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("registries");
        foreach (var r in run.Registries)
        {
            w.WriteStartObject();
            w.WriteString("name", r.Name);
            w.WriteNumber("clients", r.Clients);
            Bytes(w, "databaseBytes", r.DatabaseBytes);
            Bytes(w, "logBytes", r.LogBytes);
            Number(w, "seedClientsPerSecond", r.SeedRate);
            Number(w, "setupSeconds", r.SetupTime.TotalSeconds);
            Bytes(w, "peakResidentBytes", r.PeakResidentBytes);

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteRound(Utf8JsonWriter w, Round r)
    {
        w.WriteStartObject();
        w.WriteNumber("requests", r.Requests);
        w.WriteNumber("errors", r.Errors);
        Number(w, "seconds", r.Seconds);
        Number(w, "rps", r.Rps);
        Number(w, "p50Ms", r.P50Ms);
        Number(w, "p90Ms", r.Percentile(0.90));
        Number(w, "p99Ms", r.P99Ms);
        Number(w, "p999Ms", r.Percentile(0.999));
        Number(w, "maxMs", r.MaxMs);
        Number(w, "serverCpuUsPerRequest", r.ServerCpuUsPerRequest);
        Number(w, "loadGeneratorCpuUsPerRequest", r.LoadCpuUsPerRequest);
        Number(w, "machineBusy", r.MachineBusy);
        Number(w, "steal", r.Steal);
        Number(w, "serverWriteBytesPerRequest", r.ServerWriteBytesPerRequest);
        Number(w, "serverWriteCallsPerRequest", r.ServerWriteCallsPerRequest);
        Number(w, "serverContextSwitchesPerRequest", r.ServerContextSwitchesPerRequest);
        if (r.Syncs is { } syncs)
        {
            w.WriteNumber("syncs", syncs);
        }

        if (r.Database is { } database)
        {
            w.WriteNumber("databaseTransactions", database.Transactions);
            w.WriteNumber("databaseCpuTicks", database.CpuTicks);
            Number(w, "databaseRoundTripsPerRequest", r.DatabaseRoundTripsPerRequest ?? double.NaN);
            Number(w, "databaseCpuUsPerRequest", r.DatabaseCpuUsPerRequest ?? double.NaN);
        }

        if (r.NodeCpuUsPerRequest.Count > 0)
        {
            w.WriteStartArray("serverCpuUsPerRequestByNode");
            foreach (var us in r.NodeCpuUsPerRequest)
            {
                w.WriteNumberValue(Math.Round(us, 4));
            }

            w.WriteEndArray();
        }

        w.WriteStartObject("serverThreadsCores");
        foreach (var (name, ticks) in r.ServerThreads.Take(6))
        {
            Number(w, name, ticks / Hosts.ProcStat.TicksPerSecond / r.Seconds);
        }

        w.WriteEndObject();
        if (r.ErrorSamples.Count > 0)
        {
            w.WriteStartArray("errorSamples");
            foreach (var sample in r.ErrorSamples)
            {
                w.WriteStringValue(sample);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WritePropagation(Utf8JsonWriter w, PropagationResult propagation)
    {
        w.WriteStartObject("propagation");
        w.WriteNumber("trialsPerVariant", propagation.TrialsPerVariant);
        w.WriteNumber("boundMs", Propagation.Bound.TotalMilliseconds);
        if (propagation.Unavailable is { } reason)
        {
            w.WriteString("unavailable", reason);
        }

        w.WriteStartArray("variants");
        foreach (var v in propagation.Variants)
        {
            w.WriteStartObject();
            w.WriteString("name", v.Name);
            if (v.Unavailable is { } why)
            {
                w.WriteString("unavailable", why);
                w.WriteEndObject();
                continue;
            }

            w.WriteNumber("trials", v.Completed.Count);
            Number(w, "p50Ms", v.P50Ms);
            Number(w, "p95Ms", v.P95Ms);
            Number(w, "maxMs", v.MaxMs);
            w.WriteNumber("refusedAtFirstPoll", v.RefusedAtFirstPoll);
            Number(w, "lastAcceptedMaxMs", v.LastAcceptedMaxMs);
            w.WriteNumber("acceptedAfterBound", v.AcceptedAfterBound);
            Number(w, "recoveryP50Ms", v.RecoveryP50Ms);
            Number(w, "recoveryMaxMs", v.RecoveryMaxMs);
            w.WriteNumber("errors", v.Errors);
            w.WriteStartArray("errorSamples");
            foreach (var sample in v.ErrorSamples)
            {
                w.WriteStringValue(sample);
            }

            w.WriteEndArray();
            w.WriteStartArray("trialsMs");
            foreach (var trial in v.Trials)
            {
                w.WriteStartObject();
                Number(w, "propagationMs", trial.PropagationMs);
                Number(w, "lastAcceptedMs", trial.LastAcceptedMs ?? double.NaN);
                w.WriteNumber("polls", trial.Polls);
                Number(w, "recoveryMs", trial.RecoveryMs);
                if (trial.Error is { } error)
                {
                    w.WriteString("error", error);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteWindow(Utf8JsonWriter w, OutboxWindow window)
    {
        w.WriteStartObject();
        w.WriteNumber("updates", window.Updates);
        Number(w, "seconds", window.Seconds);
        w.WriteNumber("delivered", window.Delivered);
        Number(w, "deliveredPerSecond", window.DeliveredPerSecond);
        w.WriteNumber("backlogAtEnd", window.Backlog);
        if (window.Drained is { } drained)
        {
            Number(w, "drainedSeconds", drained.TotalSeconds);
        }

        w.WriteNumber("receivedTwice", window.SentAgain);
        w.WriteEndObject();
    }

    /// <summary>A size when it was measured; left out when it was not (a server on PostgreSQL has no database file here).</summary>
    private static void Bytes(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } bytes)
        {
            w.WriteNumber(name, bytes);
        }
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteNumber(name, Math.Round(value, 4));
        }
    }
}
