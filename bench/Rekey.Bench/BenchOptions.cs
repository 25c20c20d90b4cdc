using System.Globalization;

namespace Rekey.Bench;

/// <summary>Command line: <c>&lt;scenario|all|list&gt; [--duration S] [--rounds N] [--warmup S] [--concurrency N] [--short] …</c></summary>
internal sealed record BenchOptions
{
    public string Scenario { get; init; } = "all";

    /// <summary>Length of one measured round of one target.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Rounds per target; targets alternate within each round and figures are medians of rounds.</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>Warm-up per target before the first round (JIT tiers, connection pools, page cache).</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The "many callers" concurrency; the single-caller targets always use 1.</summary>
    public int Concurrency { get; init; } = 32;

    /// <summary>Clients the spread updates rotate over.</summary>
    public int PoolSize { get; init; } = 1000;

    /// <summary>Pause between two measured windows, so that one target's tail does not land in the next one's.</summary>
    public TimeSpan Gap { get; init; } = TimeSpan.FromMilliseconds(300);

    public bool Short { get; init; }

    /// <summary>Applied to every server as <c>Logging:LogLevel:Default</c>, the same for all.</summary>
    public string ServerLogLevel { get; init; } = "Warning";

    /// <summary>Where the servers' data directories go (a real disk: fsync must cost what it costs).</summary>
    public string DataRoot { get; init; } = Path.GetTempPath();

    public bool KeepData { get; init; }

    /// <summary>Sample each server with <c>perf record</c> during the last round and keep the top of the profile.</summary>
    public bool Profile { get; init; }

    /// <summary>Measure only these target keys of the scenario (a diagnostic run: ratios missing a side read "not part of this run").</summary>
    public IReadOnlySet<string>? Only { get; init; }

    public string? OutputDirectory { get; init; }

    /// <summary>Clients in the large registry of the scale scenario.</summary>
    public int ScaleClients { get; init; } = 1_000_000;

    /// <summary>The longest the scale scenario may spend seeding one registry through the API before it gives up.</summary>
    public TimeSpan SeedBudget { get; init; } = TimeSpan.FromMinutes(20);

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        var explicitly = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            explicitly.Add(arg);
            options = arg switch
            {
                "--duration" => options with { Duration = Seconds(Value()) },
                "--rounds" => options with { Rounds = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--warmup" => options with { WarmUp = Seconds(Value()) },
                "--concurrency" => options with { Concurrency = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--pool" => options with { PoolSize = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--short" => options with { Short = true },
                "--server-log-level" => options with { ServerLogLevel = Value() },
                "--data-root" => options with { DataRoot = Value() },
                "--keep-data" => options with { KeepData = true },
                "--profile" => options with { Profile = true },
                "--only" => options with { Only = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal) },
                "--out" => options with { OutputDirectory = Value() },
                "--scale-clients" => options with { ScaleClients = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--seed-budget" => options with { SeedBudget = Seconds(Value()) },
                _ when arg.StartsWith("--", StringComparison.Ordinal) => throw new ArgumentException($"Unknown option {arg}."),
                _ => options with { Scenario = arg },
            };
        }

        if (options.Short)
        {
            // About two minutes for "all" on two cores; explicit options still win.
            options = options with
            {
                Duration = explicitly.Contains("--duration") ? options.Duration : TimeSpan.FromSeconds(3),
                Rounds = explicitly.Contains("--rounds") ? options.Rounds : 3,
                WarmUp = explicitly.Contains("--warmup") ? options.WarmUp : TimeSpan.FromSeconds(1.5),
                ScaleClients = explicitly.Contains("--scale-clients") ? options.ScaleClients : 10_000,
                SeedBudget = explicitly.Contains("--seed-budget") ? options.SeedBudget : TimeSpan.FromMinutes(2),
            };
        }

        if (options.Rounds < 1 || options.Concurrency < 1 || options.PoolSize < 1 || options.Duration <= TimeSpan.Zero)
        {
            throw new ArgumentException("--rounds, --concurrency, --pool and --duration must be positive.");
        }

        return options;
    }

    private static TimeSpan Seconds(string value) =>
        TimeSpan.FromSeconds(double.Parse(value.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture));

    public const string Usage = """
        usage: dotnet run -c Release --project bench/Rekey.Bench -- <scenario|all|list> [options]

          --short                 3 rounds x 3 s, 1.5 s warm-up (about two minutes for "all", which then
                                  leaves out "scale"; "scale --short" compares 1k with 10k clients)
          --duration S            seconds per measured round of each target      (default 10)
          --rounds N              rounds; targets alternate inside each round    (default 5)
          --warmup S              warm-up seconds per target                     (default 5)
          --concurrency N         the "many callers" level; single-caller targets use 1 (default 32)
          --pool N                clients the spread updates rotate over         (default 1000)
          --server-log-level L    Logging:LogLevel:Default for every server      (default Warning)
          --data-root DIR         where server data directories are created      (default $TMPDIR)
          --keep-data             keep data directories and server logs
          --profile               perf-sample every server in the last round; profiles go beside the results
                                  (a diagnostic run: the sampling itself costs CPU, do not quote its figures)
          --only K1,K2            measure only these targets (keys as in the table, e.g. token-rekey@32);
                                  for profiling one server without the others beside it
          --out DIR               where JSON and Markdown results go             (default bench/results)
          --scale-clients N       registry size of the scale scenario            (default 1000000)
          --seed-budget S         give up seeding a registry that would take longer (default 1200)
        """;
}
