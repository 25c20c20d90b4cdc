using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Rekey.Console.Tests;

/// <summary>
/// An automated accessibility check of every console page in both themes: axe-core (installed from npm into a
/// temporary directory, once for the class) run inside each page, failing on any serious or critical violation of
/// WCAG 2.x A or AA (in the dark theme, of the colour rules: the rest of the page is the same). axe is injected as a script, which the console's CSP rightly forbids, so this class's browser
/// contexts bypass the CSP; no other test does.
/// </summary>
[RequiresChromium]
[RequiresTools("npm")]
public sealed class AccessibilityTests(BrowserFixture browser, AxeCoreFixture axe, ITestOutputHelper output)
    : ConsoleTest(browser), IClassFixture<BrowserFixture>, IClassFixture<AxeCoreFixture>
{
    /// <summary>axe over the whole document with the given rule tags or rule IDs; what it found, as JSON.</summary>
    private const string RunAxe = """
        async ([kind, values]) => {
          const result = await axe.run(document, { runOnly: { type: kind, values } });
          return JSON.stringify({
            passes: result.passes.length,
            violations: result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' | ' + (n.failureSummary || '').replace(/\s+/g, ' ')) }))
          });
        }
        """;

    private static readonly string[] Wcag = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

    /// <summary>What changes with the theme: colours. The dark theme is checked for these rules only (the structure is the same page).</summary>
    private static readonly string[] ColourRules = ["color-contrast", "link-in-text-block"];

    [Fact]
    public async Task no_console_page_has_a_serious_or_critical_wcag_a_or_aa_violation_in_the_light_or_the_dark_theme()
    {
        var script = await axe.ScriptAsync();
        var (sid, _) = await CreateServiceAsync("Accessible");
        var (clientId, _) = await Admin.CreateClientAsync(sid, ClientCredentialsClient);
        await Admin.RefreshSecretAsync(sid, clientId, "3600");
        var page = await OpenAsync(new BrowserNewContextOptions { BypassCSP = true });
        var found = new List<string>();

        await page.GotoAsync("/console/signin");
        await CheckAsync("the sign-in page");
        await SignInAsync(page, RekeyHost.AdminToken);
        await CheckAsync("the services list");
        await page.GotoAsync(ClientsPath(sid));
        await CheckAsync("the clients list");
        await page.GotoAsync($"/console/services/{sid}");
        await CheckAsync("the service's settings");
        await page.GotoAsync(ClientPath(sid, clientId));
        await CheckAsync("the client page");
        await SubmitAsync(page, Button(Section(page, "Rotate secret"), "Rotate secret"));
        await CheckAsync("the client page showing a new secret");
        await page.GotoAsync("/console/services/1/clients/1");
        await CheckAsync("a refusal page");

        Assert.True(found.Count == 0, "Serious or critical WCAG A/AA violations:\n" + string.Join('\n', found));

        async Task CheckAsync(string what)
        {
            await page.AddScriptTagAsync(new() { Content = script });
            foreach (var (scheme, kind, rules) in new[] { (ColorScheme.Light, "tag", Wcag), (ColorScheme.Dark, "rule", ColourRules) })
            {
                await page.EmulateMediaAsync(new() { ColorScheme = scheme });
                var result = JsonNode.Parse(await page.EvaluateAsync<string>(RunAxe, new object[] { kind, rules }))!;
                var violations = result["violations"]!.AsArray();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what} ({scheme}): {result["passes"]} rules passed, {violations.Count} violated"));
                Assert.True(result["passes"]!.GetValue<int>() > 0, $"axe checked nothing on {what}.");
                foreach (var v in violations.Where(v => v?["impact"]?.GetValue<string>() is "serious" or "critical"))
                {
                    found.Add($"{what}, {scheme} theme: {v!["id"]} ({v["impact"]}) {v["help"]}\n    " + string.Join("\n    ", v["nodes"]!.AsArray().Select(n => n?.GetValue<string>())));
                }
            }
        }
    }
}

/// <summary>
/// axe-core from npm, installed into a temporary directory on the first test's request (where npm is missing the
/// class is skipped and nothing is installed). One exact version, so that a new rule cannot fail the build unannounced.
/// </summary>
public sealed class AxeCoreFixture : IDisposable
{
    public const string Package = "axe-core@4.14.1";

    private static readonly TimeSpan InstallLimit = TimeSpan.FromMinutes(3);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("rekey-axe-");
    private readonly Lock _lock = new();
    private Task<string>? _script;

    /// <summary>The text of <c>axe.min.js</c>.</summary>
    public Task<string> ScriptAsync()
    {
        lock (_lock)
        {
            return _script ??= InstallAsync();
        }
    }

    private async Task<string> InstallAsync()
    {
        // A package.json of its own, so that npm installs here and not into the nearest ancestor that has one.
        await File.WriteAllTextAsync(Path.Combine(_directory.FullName, "package.json"), """{"name":"rekey-console-axe","private":true}""");
        var start = new ProcessStartInfo("npm")
        {
            WorkingDirectory = _directory.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["npm_config_update_notifier"] = "false" },
        };
        foreach (var arg in new[] { "install", "--no-audit", "--no-fund", Package })
        {
            start.ArgumentList.Add(arg);
        }

        using var npm = Process.Start(start) ?? throw new InvalidOperationException("npm did not start.");
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(InstallLimit);
        try
        {
            await npm.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            npm.Kill(entireProcessTree: true);
            throw new TimeoutException($"npm install {Package} did not finish within {InstallLimit.TotalMinutes} min.");
        }

        var script = Path.Combine(_directory.FullName, "node_modules", "axe-core", "axe.min.js");
        var manifest = Path.Combine(_directory.FullName, "node_modules", "axe-core", "package.json");
        var version = File.Exists(manifest) ? JsonDocument.Parse(await File.ReadAllTextAsync(manifest)).RootElement.GetProperty("version").GetString() : null;
        if (npm.ExitCode != 0 || !File.Exists(script) || version != Package.Split('@')[1])
        {
            throw new InvalidOperationException($"npm install {Package} failed (exit code {npm.ExitCode}, installed {version ?? "nothing"}).\n{await stdout}\n{await stderr}");
        }

        return await File.ReadAllTextAsync(script);
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
