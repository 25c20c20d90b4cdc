using System.Diagnostics;
using Rekey.Bench.Hosts;
using Rekey.Bench.Load;
using Rekey.Bench.Scenarios;
using Rekey.Bench.Targets;

namespace Rekey.Bench;

/// <summary>
/// One run: start what the selected scenarios need, warm every target up, then measure the targets in alternating
/// rounds (forward, then backward, so that a slow drift of the machine falls on all of them alike), run what a scenario
/// measures once afterwards (the propagation trials; with <c>--only</c>, only when it names <c>propagation</c>) and
/// judge the ratios.
/// </summary>
internal sealed class BenchRun(BenchOptions options, TextWriter log)
{
    private static string Busiest(Round round) =>
        (round.BusiestThread is { } t ? $"  busiest thread {t.Name} {t.Cores:0.00} cores" : "") +
        (round.SyncsPerSecond is { } s ? $"  fsync/s {s:0}" + (round.RequestsPerSync is { } b ? $" ({b:0.0} req/fsync)" : "") : "");

    /// <summary>Where --profile writes its reports (created on first use).</summary>
    public string ProfileDirectory { get; } = Path.Combine(options.OutputDirectory ?? Repo.ResultsDirectory, $"profile-{DateTime.UtcNow:yyyyMMdd-HHmmss}");

    public async Task<RunResult> ExecuteAsync(CancellationToken ct)
    {
        var scenarios = ScenarioCatalog.Select(options.Scenario, options.Short);
        var targets = scenarios.SelectMany(s => s.Targets(options)).DistinctBy(t => t.Key)
            .Where(t => options.Only is null || options.Only.Contains(t.Key)).ToList();
        var checks = scenarios.SelectMany(s => s.Checks(options)).ToList();
        var propagation = scenarios.Select(s => s.Afterwards?.Invoke(options)).OfType<Propagation>()
            .FirstOrDefault(_ => options.Only is null || options.Only.Contains(Propagation.Key));
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var results = targets.ToDictionary(t => t.Key, t => new TargetResult(t), StringComparer.Ordinal);
        var servers = new List<ServerInfo>();

        using var http = LoadGenerator.CreateClient(Math.Max(1, targets.Count == 0 ? 1 : targets.Max(t => t.Concurrency)));
        await using (var fixtures = new Fixtures(options))
        {
            foreach (var target in targets)
            {
                log.Write($"setup   {target.Key,-28} ");
                try
                {
                    await target.PrepareAsync(fixtures, http, ct);
                }
                catch (TargetUnavailableException ex)
                {
                    target.MarkUnavailable(ex.Message);
                }
                catch (SeedTooSlowException ex)
                {
                    target.MarkUnavailable($"not run: {ex.Message} (budget {options.SeedBudget.TotalMinutes:0} min); a bulk seeding route is needed, see bench/README.md");
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    target.MarkUnavailable($"setup failed: {ex.GetType().Name}: {ex.Message}");
                }

                log.WriteLine(target.Unavailable ?? $"ready ({string.Join(", ", target.Servers.Select(s => $"{s.Name} pid {s.Pid}"))})");
            }

            var live = targets.Where(t => t.Unavailable is null).ToList();
            foreach (var target in live)
            {
                await Task.Delay(options.Gap, ct);
                var warm = await target.MeasureAsync(http, options.WarmUp, diagnose: false, ct);
                results[target.Key].WarmUp = warm;
                log.WriteLine($"warm-up {target.Key,-28} {warm.Rps,9:0} req/s  errors {warm.Errors}{target.RoundNote}");
            }

            for (var round = 0; round < options.Rounds; round++)
            {
                var order = round % 2 == 0 ? live : Enumerable.Reverse(live).ToList();
                foreach (var target in order)
                {
                    await Task.Delay(options.Gap, ct);
                    var profile = options.Profile && round == options.Rounds - 1 && target.Server is { } server
                        ? Profiler.Start(server.Pid, options.Duration, Path.Combine(fixtures.WorkDirectory, target.Key.Replace('@', '-') + ".perf.data"))
                        : null;
                    var measured = await target.MeasureAsync(http, options.Duration, diagnose: true, ct);
                    if (profile is not null)
                    {
                        Directory.CreateDirectory(ProfileDirectory);
                        var report = Path.Combine(ProfileDirectory, target.Key.Replace('@', '-') + ".perf.txt");
                        await profile.FinishAsync(report);
                        log.WriteLine($"profile {target.Key,-28} {report}");
                    }

                    results[target.Key].Rounds.Add(measured);
                    log.WriteLine($"round {round + 1}/{options.Rounds} {target.Key,-28} {measured.Rps,9:0} req/s  p50 {measured.P50Ms,7:0.000} ms  p99 {measured.P99Ms,7:0.000} ms  errors {measured.Errors}{Busiest(measured)}{target.RoundNote}");
                }
            }

            PropagationResult? propagated = null;
            if (propagation is not null)
            {
                log.WriteLine($"propagation: {propagation.Trials} trials per variant between two nodes");
                propagated = await propagation.RunAsync(fixtures, log, ct);
                if (propagated.Unavailable is { } reason)
                {
                    log.WriteLine($"propagation {reason}");
                }
            }

            servers.AddRange(fixtures.Processes.Select(p => new ServerInfo(p.Name, p.Pid, p.ResidentBytes(), p.PeakResidentBytes())));
            foreach (var process in fixtures.Processes.Where(p => !p.IsRunning))
            {
                log.WriteLine($"warning: {process.Name} is no longer running; last log lines:\n{process.Tail(10)}");
            }

            var registries = targets.OfType<UpdateTarget>().Select(t => t.Host).OfType<RekeyServerHost>().Distinct()
                .Select(h => new RegistryInfo(h.Process.Name, h.Pool.Count + 2, h.DatabaseBytes(), h.LogBytes(), h.SeedRate, h.SetupTime, h.Process.PeakResidentBytes()))
                .ToList();
            var environment = RunEnvironment.Capture(options, fixtures.WorkDirectory);
            var outcomes = checks.Select(c => c.Evaluate(results)).ToList();
            return new RunResult(options, environment, started, clock.Elapsed, targets.Select(t => results[t.Key]).ToList(), outcomes, servers, registries, propagated);
        }
    }
}

internal sealed record ServerInfo(string Name, int Pid, long? ResidentBytes, long? PeakResidentBytes);

internal sealed record RunResult(BenchOptions Options, RunEnvironment Environment, DateTimeOffset Started, TimeSpan Elapsed,
    IReadOnlyList<TargetResult> Targets, IReadOnlyList<RatioOutcome> Ratios, IReadOnlyList<ServerInfo> Servers, IReadOnlyList<RegistryInfo> Registries,
    PropagationResult? Propagation);

/// <summary>A Rekey server's registry at the end of the run: size on disk, how fast it was seeded, peak memory.</summary>
internal sealed record RegistryInfo(string Name, int Clients, long? DatabaseBytes, long? LogBytes, double SeedRate, TimeSpan SetupTime, long? PeakResidentBytes);
