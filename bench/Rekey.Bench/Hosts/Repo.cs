namespace Rekey.Bench.Hosts;

/// <summary>Where the servers the benchmark starts were built: beside this one, in the same configuration.</summary>
internal static class Repo
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    public static string Root { get; } = FindRoot();

    public static string ResultsDirectory => Path.Combine(Root, "bench", "results");

    /// <summary>The apphost of <paramref name="assembly"/> built from <paramref name="projectDirectory"/>, or its dll.</summary>
    public static string Executable(string projectDirectory, string assembly)
    {
        var output = Path.Combine(Root, projectDirectory, "bin", Configuration, "net10.0");
        var apphost = Path.Combine(output, assembly);
        if (File.Exists(apphost))
        {
            return apphost;
        }

        var dll = apphost + ".dll";
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"{assembly} is not built in {output}; run the benchmark with `dotnet run -c {Configuration} --project bench/Rekey.Bench`, which builds it.");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rekey.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (Rekey.slnx) above " + AppContext.BaseDirectory);
    }
}
