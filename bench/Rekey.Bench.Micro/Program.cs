using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Rekey.Bench.Micro;

// Short job, in process: no generated project to build (it would inherit the repository's build policy), one launch,
// 3 warm-up and 8 measured iterations of ~250 ms each. Enough for a 100x-and-more difference, in well under a minute.
var config = DefaultConfig.Instance
    .AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(8)
        .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
        .WithId("short"))
    .WithOptions(ConfigOptions.JoinSummary)
    .WithArtifactsPath(ArtifactsPath());

// `--loop-store-writes S`: the StoreWrites benchmark's operation in a plain loop for S seconds, to attach a profiler
// (perf record -p PID with DOTNET_PerfMapEnabled=1); prints updates per second.
if (args is ["--loop-store-writes", var seconds])
{
    var writes = new StoreWrites();
    writes.Setup();
    var stopwatch = System.Diagnostics.Stopwatch.StartNew();
    var operations = 0L;
    while (stopwatch.Elapsed.TotalSeconds < double.Parse(seconds, CultureInfo.InvariantCulture))
    {
        await writes.RotateSecret();
        operations += 32;
    }

    Console.WriteLine($"{operations / stopwatch.Elapsed.TotalSeconds:F0} updates/s");
    writes.Cleanup();
    return 0;
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(SecretVerification).Assembly).Run(args, config).ToList();
PrintRatios(summaries);
return 0;

// Reports go beside the load benchmark's, under bench/results/micro (found from the build output, not the cwd).
static string ArtifactsPath()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Rekey.slnx")))
        {
            return Path.Combine(dir.FullName, "bench", "results", "micro");
        }
    }

    return Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts");
}

// The target: verification costs at most 1% of PBKDF2-HMAC-SHA256 with 10,000 iterations.
static void PrintRatios(IReadOnlyList<Summary> summaries)
{
    var reports = new Dictionary<string, double>(StringComparer.Ordinal);
    foreach (var report in summaries.SelectMany(s => s.Reports))
    {
        if (report.ResultStatistics is { } statistics)
        {
            reports[report.BenchmarkCase.Descriptor.WorkloadMethod.Name] = statistics.Median;
        }
    }

    if (!reports.TryGetValue(nameof(SecretVerification.RekeyVerification), out var hmac))
    {
        return;
    }

    Console.WriteLine();
    foreach (var (name, label) in new[] { (nameof(SecretVerification.Pbkdf2), "one-shot Pbkdf2"), (nameof(SecretVerification.Pbkdf2AsOpenIddict), "OpenIddict's call") })
    {
        if (reports.TryGetValue(name, out var pbkdf2))
        {
            var ratio = hmac / pbkdf2;
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "ratio: Rekey verification / PBKDF2 x10000 ({0}) = {1:0.0000} ({2:0.000}% ; {3:0} ns vs {4:0} ns; target <= 1%): {5}",
                label, ratio, ratio * 100, hmac, pbkdf2, ratio <= 0.01 ? "PASS" : "MISS"));
        }
    }
}
