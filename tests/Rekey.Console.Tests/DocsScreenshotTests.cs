using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Rekey.Console.Tests;

/// <summary>
/// The console's pictures in the docs (<c>docs/images/console-*.png</c>), taken by this test in light and dark: the
/// services list, a service's clients, and a client right after a rotation — with the new secret's value replaced by
/// dots before the shot, so that no real-looking secret is ever committed. With <c>REKEY_UPDATE_DOCS=1</c> the test
/// rewrites the files in the checkout; otherwise it writes them to <c>rekey-console-screenshots</c> in the temporary
/// directory (and still checks that each page renders and each picture stays small).
/// </summary>
[RequiresChromium]
public sealed class DocsScreenshotTests(BrowserFixture browser, ITestOutputHelper output) : ConsoleTest(browser), IClassFixture<BrowserFixture>
{
    /// <summary>Pictures are committed: each stays under this size.</summary>
    private const long MaxBytes = 200 * 1024;

    [Fact]
    public async Task screenshots_of_the_services_list_a_clients_list_and_a_client_after_rotation_in_light_and_dark()
    {
        var update = Environment.GetEnvironmentVariable("REKEY_UPDATE_DOCS") == "1";
        // Otherwise one directory, overwritten by each run: there to look at, and nothing piles up.
        var directory = update ? Repository.File("docs/images") : Path.Combine(Path.GetTempPath(), "rekey-console-screenshots");
        Directory.CreateDirectory(directory);
        var (sid, clientId) = await ShowcaseAsync();

        var page = await SignInAsync(options: new BrowserNewContextOptions { ViewportSize = new() { Width = 1100, Height = 760 } });
        await ShootBothAsync(page, "console-services");

        await page.GotoAsync(ClientsPath(sid));
        await ShootBothAsync(page, "console-clients");

        await page.GotoAsync(ClientPath(sid, clientId));
        var rotate = Section(page, "Rotate secret");
        await rotate.GetByLabel("Grace period (seconds)").FillAsync("86400");
        await SubmitAsync(page, Button(rotate, "Rotate secret"));
        var secret = await ShownSecretAsync(page);
        await page.Locator("#new-secret").EvaluateAsync("output => { output.textContent = '\\u2022'.repeat(86); }");
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await ShootBothAsync(page, "console-client");

        // The same page in both themes (the answer of a rotation cannot be loaded twice): the theme follows prefers-color-scheme.
        async Task ShootBothAsync(IPage page, string name)
        {
            foreach (var (scheme, theme) in new[] { (ColorScheme.Light, "light"), (ColorScheme.Dark, "dark") })
            {
                await page.EmulateMediaAsync(new() { ColorScheme = scheme });
                var path = Path.Combine(directory, $"{name}-{theme}.png");
                await page.ScreenshotAsync(new() { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
                var size = new FileInfo(path).Length;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path}: {size / 1024.0:F0} KiB"));
                Assert.True(size < MaxBytes, $"{path} is {size} bytes; pictures for the docs stay under {MaxBytes}.");
            }
        }
    }

    /// <summary>A service that looks like one in use (a few clients, one locked, beside two other services); returns the client to show.</summary>
    private async Task<(long ServiceId, long ClientId)> ShowcaseAsync()
    {
        var sid = await Admin.CreateServiceAsync(new JsonObject
        {
            ["serviceName"] = "Payments",
            ["clientSecretGracePeriod"] = 86400,
            ["clientSecretLifetime"] = 90 * 86400,
        }.ToJsonString());
        await Admin.CreateServiceAsync("""{"serviceName":"Internal tools","clientSecretGracePeriod":3600}""");
        await Admin.CreateServiceAsync("""{"serviceName":"Partner API","clientSecretGracePeriod":604800,"clientSecretLifetime":31536000}""");

        var shown = await Admin.CreateClientAsync(sid, """{"clientName":"Billing worker","clientIdAlias":"billing-worker","grantTypes":["CLIENT_CREDENTIALS"]}""");
        await Admin.CreateClientAsync(sid, """{"clientName":"Ledger sync","clientIdAlias":"ledger-sync","grantTypes":["CLIENT_CREDENTIALS"]}""");
        var locked = await Admin.CreateClientAsync(sid, """{"clientName":"Legacy importer","grantTypes":["CLIENT_CREDENTIALS"]}""");
        await Admin.CreateClientAsync(sid, """{"clientName":"Invoice mailer","clientIdAlias":"invoice-mailer","grantTypes":["CLIENT_CREDENTIALS"]}""");
        await Admin.LockClientAsync(sid, locked.ClientId);
        // A token request, so that the client page's "last used" has something to say.
        await AssertTokenIssuedAsync(sid, shown.ClientId, shown.Secret, "the showcase client");
        return (sid, shown.ClientId);
    }
}
