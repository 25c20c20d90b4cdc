using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace Rekey.Sdk.Tests.Sdk;

/// <summary>
/// docs/sdk.md, "Installing", as a user in another project does it: the packages packed into a folder, a new project
/// that adds <c>Rekey.Sdk</c> from that folder and builds against it. A package whose dependency was not packed
/// (<c>NU1101 Rekey.Contracts</c>) fails here. The packs reuse the Debug build the test run made (<c>--no-build</c>) and
/// get a version of their own, so no package cache holds an older copy.
/// </summary>
public sealed class PackageTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rekey-package-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task the_sdk_packed_into_a_folder_is_added_to_a_new_project_which_builds_against_it()
    {
        var root = Repository.Root;
        var feed = Directory.CreateDirectory(Path.Combine(_work.FullName, "feed")).FullName;
        var version = "0.0.0-test." + Guid.NewGuid().ToString("N")[..12];

        // The documented `dotnet pack -c Release -o <folder>` at the root, on the build the test run already made.
        await RunAsync(root, "pack", Path.Combine(root, "Rekey.slnx"), "--no-build", "--no-restore", "-c", "Debug", "-o", feed, $"-p:Version={version}");
        Assert.Equal(["Rekey.Cli", "Rekey.Contracts", "Rekey.Sdk"],
            Directory.GetFiles(feed, "*.nupkg").Select(p => Path.GetFileName(p)[..^$".{version}.nupkg".Length]).Order(StringComparer.Ordinal));

        var sdkDependencies = NuspecDependencies(Path.Combine(feed, $"Rekey.Sdk.{version}.nupkg"));
        Assert.Contains(("Rekey.Contracts", version), sdkDependencies);
        Assert.All(sdkDependencies.Where(d => d.Id.StartsWith("Rekey.", StringComparison.Ordinal)),
            d => Assert.True(File.Exists(Path.Combine(feed, $"{d.Id}.{d.Version}.nupkg")), $"{d.Id} {d.Version} was not packed beside Rekey.Sdk"));

        var consumer = Directory.CreateDirectory(Path.Combine(_work.FullName, "consumer")).FullName;
        await File.WriteAllTextAsync(Path.Combine(consumer, "consumer.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(consumer, "Program.cs"), """
            using Rekey.Contracts;
            using Rekey.Sdk;

            using var http = new HttpClient();
            var rekey = new RekeyClient(http, new RekeyClientOptions { BaseAddress = new Uri("http://127.0.0.1:5080"), Token = "t" });
            var document = new ClientDocument { ClientName = "from a package" };
            Console.WriteLine($"{rekey.BaseAddress} {document.ClientName}");
            """);

        // `dotnet nuget add source <folder>` as docs/sdk.md says, written into the project's own nuget.config here so
        // that the machine's configuration is left alone; the configured feeds still serve Microsoft.Extensions.Http.
        await File.WriteAllTextAsync(Path.Combine(consumer, "nuget.config"), "<configuration><packageSources /></configuration>");
        await RunAsync(consumer, "nuget", "add", "source", feed, "--name", "rekey-local", "--configfile", Path.Combine(consumer, "nuget.config"));
        await RunAsync(consumer, "add", "package", "Rekey.Sdk", "--version", version);
        await RunAsync(consumer, "build", "--no-restore");
    }

    private static List<(string Id, string Version)> NuspecDependencies(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspec.Open();
        return [.. XDocument.Load(stream).Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => ((string)e.Attribute("id")!, (string)e.Attribute("version")!))];
    }

    private async Task RunAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Packages restore into a folder of this test's own, so a package of the same ID and version cached earlier
        // cannot stand in for the one just packed.
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_work.FullName, "packages");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // The test host's MSBuild settings must not reach the child build.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(Limit);
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }
}
