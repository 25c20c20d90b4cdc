using Microsoft.Playwright;

namespace Rekey.Console.Tests;

/// <summary>
/// One Rekey server (its own <c>Program</c> on Kestrel, over a fresh SQLite store) and one headless
/// <see cref="Chromium"/> for a whole test class. Each test opens its own browser context (its own cookies), so tests
/// stay independent while the class pays for one browser start. Both start with the class's first test that runs
/// (<see cref="ConsoleTest"/> asks): a class whose tests are all skipped — chromium missing
/// (<see cref="RequiresChromiumAttribute"/>), or pending — starts nothing.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Webhooks may go to a receiver on loopback, and are sent within a tenth of a second.</summary>
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Rekey:Webhooks:AllowPrivateNetworks"] = "true",
        ["Rekey:Webhooks:PollIntervalMilliseconds"] = "100",
    };

    private readonly Lock _lock = new();
    private Task? _start;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private RekeyHost? _host;

    public RekeyHost Host => _host ?? throw new InvalidOperationException("The fixture has not started.");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>Starts the server and the browser on the first call; later calls wait for the same start.</summary>
    public Task StartAsync()
    {
        lock (_lock)
        {
            return _start ??= StartOnceAsync();
        }
    }

    private async Task StartOnceAsync()
    {
        // Expectations wait as long as actions do: `dotnet test` at the root runs the other suites beside this one on two cores.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.ExecutablePath,
            Headless = true,
            // Chromium refuses to start its sandbox as root (CI runs as root); elsewhere the sandbox stays on.
            Args = Environment.UserName == "root" ? ["--no-sandbox"] : [],
        });
        _host = await RekeyHost.StartAsync(new SqliteTestStore(), Settings);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
            await _host.Store.DisposeAsync();
        }
    }
}
