using Rekey.Bench;
using Rekey.Bench.Hosts;
using Rekey.Bench.Report;
using Rekey.Bench.Scenarios;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine("rekey-bench: " + ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

if (options.Scenario is "list" or "help" or "-h" or "--help")
{
    Console.WriteLine(BenchOptions.Usage);
    foreach (var scenario in ScenarioCatalog.All)
    {
        Console.WriteLine($"  {scenario.Name,-10} {scenario.Summary}");
    }

    return 0;
}

#if DEBUG
Console.Error.WriteLine("rekey-bench: warning: this is a Debug build; its figures mean nothing. Use `dotnet run -c Release`.");
#endif

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Stop measuring, then stop every server in order (the finally blocks and disposals below).
    e.Cancel = true;
    cancel.Cancel();
};

RunResult run;
try
{
    run = await new BenchRun(options, Console.Out).ExecuteAsync(cancel.Token);
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("rekey-bench: cancelled; servers stopped.");
    return 130;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine("rekey-bench: " + ex.Message);
    return 2;
}

var markdown = Reporter.Markdown(run);
Console.WriteLine();
Console.WriteLine(markdown);

var directory = options.OutputDirectory ?? Repo.ResultsDirectory;
Directory.CreateDirectory(directory);
var stem = Path.Combine(directory, $"{run.Started:yyyyMMdd-HHmmss}-{options.Scenario}{(options.Short ? "-short" : "")}");
await File.WriteAllTextAsync(stem + ".md", markdown);
await using (var json = File.Create(stem + ".json"))
{
    Reporter.WriteJson(run, json);
}

Console.WriteLine($"results: {stem}.md, {stem}.json");
return 0;
