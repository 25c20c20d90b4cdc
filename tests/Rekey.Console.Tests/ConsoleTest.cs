using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Rekey.Contracts;

namespace Rekey.Console.Tests;

/// <summary>
/// What a console test does, in an operator's words: open a browser, sign in, find things as a person does (by
/// label, role and accessible name), accept a confirmation; and, beside the browser, what a client does with the
/// secret it was given (a token request at <c>/oauth2/{sid}/token</c>) and what the API says (<see cref="TestApi"/>).
/// Every page a test opens is watched: a script error or a Content-Security-Policy violation (the browser logs both as
/// console errors) fails the test when it ends. Every confirmation dialog is accepted and remembered.
/// </summary>
public abstract partial class ConsoleTest(BrowserFixture fixture) : IAsyncLifetime
{
    /// <summary>A client that authenticates at the token endpoint with a client secret (HTTP Basic, Rekey's default method).</summary>
    protected const string ClientCredentialsClient = """{"clientName":"console test client","grantTypes":["CLIENT_CREDENTIALS"]}""";

    private readonly List<IBrowserContext> _contexts = [];
    private readonly ConcurrentQueue<string> _pageErrors = new();
    private readonly ConcurrentQueue<string> _confirmations = new();
    private HttpClient? _admin;
    private HttpClient? _anyone;

    protected RekeyHost Host => fixture.Host;

    /// <summary>The organisation token's API client, for setting up and checking what the console did.</summary>
    protected HttpClient Admin => _admin ??= Host.CreateAdminClient();

    /// <summary>A caller without credentials: the OAuth client at the token endpoint.</summary>
    protected HttpClient Anyone => _anyone ??= Host.CreateClient();

    /// <summary>The texts of the confirmation dialogs the pages asked, in order (each was accepted).</summary>
    protected IReadOnlyCollection<string> Confirmations => _confirmations;

    public Task InitializeAsync() => fixture.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }

        _admin?.Dispose();
        _anyone?.Dispose();
        Assert.True(_pageErrors.IsEmpty, "The pages logged errors (a script error, or something the Content-Security-Policy blocked):\n" + string.Join('\n', _pageErrors));
    }

    // ---- the browser --------------------------------------------------------------------------------

    /// <summary>A new browser context (its own cookies and storage) on the server, and a page in it.</summary>
    protected async Task<IPage> OpenAsync(BrowserNewContextOptions? options = null)
    {
        options ??= new BrowserNewContextOptions();
        options.BaseURL = Host.BaseAddress.GetLeftPart(UriPartial.Authority);
        var context = await fixture.Browser.NewContextAsync(options);
        _contexts.Add(context);
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            // A page answered 4xx on purpose (a refusal, an expired form) is logged as a failed load: not an error of the page.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                _pageErrors.Enqueue($"{page.Url}: {message.Text}");
            }
        };
        page.PageError += (_, error) => _pageErrors.Enqueue($"{page.Url}: {error}");
        page.Dialog += async (_, dialog) =>
        {
            _confirmations.Enqueue(dialog.Message);
            await dialog.AcceptAsync();
        };
        return page;
    }

    /// <summary>Signs in through the sign-in page, as an operator does, and returns the page (on the services list).</summary>
    protected async Task<IPage> SignInAsync(string token = RekeyHost.AdminToken, BrowserNewContextOptions? options = null)
    {
        var page = await OpenAsync(options);
        await SignInAsync(page, token);
        return page;
    }

    protected static async Task SignInAsync(IPage page, string token)
    {
        await page.GotoAsync("/console/signin");
        await page.GetByLabel("Access token").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(ServicesListUrl());
    }

    protected static string ClientPath(long serviceId, long clientId) => $"/console/services/{serviceId}/clients/{clientId}";

    protected static string ClientsPath(long serviceId) => $"/console/services/{serviceId}/clients";

    /// <summary>
    /// Clicks a button that submits a form, waits until the page it leads to (after any redirect) has replaced this one,
    /// and returns that page's answer. (A form often posts to the address it was shown at: the address alone cannot
    /// tell the old page from the new, so the old one is marked.)
    /// </summary>
    protected static async Task<IResponse> SubmitAsync(IPage page, ILocator button)
    {
        await page.EvaluateAsync("() => { window.rekeyTestPageBeforeSubmit = true; }");
        var response = await page.RunAndWaitForResponseAsync(() => button.ClickAsync(),
            r => r.Request.IsNavigationRequest && r.Frame == page.MainFrame && r.Status is < 300 or >= 400);
        await page.WaitForFunctionAsync("() => window.rekeyTestPageBeforeSubmit === undefined && document.readyState !== 'loading'");
        return response;
    }

    /// <summary>The secret a page shows once, under the heading "New client secret".</summary>
    protected static async Task<string> ShownSecretAsync(IPage page)
    {
        var output = page.Locator("output#new-secret");
        Assert.Equal("New client secret", await output.GetAttributeAsync("aria-label"));
        var secret = (await output.InnerTextAsync()).Trim();
        Assert.Matches("^[A-Za-z0-9_-]{86}$", secret);
        return secret;
    }

    /// <summary>The section of a page labelled by <paramref name="heading"/> (a <c>&lt;section aria-labelledby&gt;</c> is a region).</summary>
    protected static ILocator Section(IPage page, string heading) => page.GetByRole(AriaRole.Region, new() { Name = heading, Exact = true });

    protected static ILocator Button(IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    protected static ILocator Button(ILocator scope, string name) => scope.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    [GeneratedRegex(@"/console/services$")]
    protected static partial Regex ServicesListUrl();

    [GeneratedRegex(@"/console/signin(\?.*)?$")]
    protected static partial Regex SignInUrl();

    // ---- the OAuth client and the API ---------------------------------------------------------------

    /// <summary>A client-credentials token request with <paramref name="secret"/> gets a token.</summary>
    protected async Task AssertTokenIssuedAsync(long serviceId, long clientId, string secret, string because)
    {
        var (status, body) = await Anyone.SendTokenRequestAsync(serviceId, clientId, secret);
        Assert.True(status == HttpStatusCode.OK && body["access_token"] is JsonValue,
            $"Expected a token ({because}); got {(int)status} {body.ToJsonString()}");
    }

    /// <summary>A client-credentials token request with <paramref name="secret"/> is refused: 401 invalid_client.</summary>
    protected async Task AssertTokenRefusedAsync(long serviceId, long clientId, string secret, string because)
    {
        var (status, body) = await Anyone.SendTokenRequestAsync(serviceId, clientId, secret);
        Assert.True(status == HttpStatusCode.Unauthorized && body["error"]?.GetValue<string>() == "invalid_client",
            $"Expected 401 invalid_client ({because}); got {(int)status} {body.ToJsonString()}");
    }

    /// <summary>The service's audit events as the API lists them, newest first.</summary>
    protected async Task<IReadOnlyList<JsonObject>> AuditAsync(long serviceId, long? clientId = null)
    {
        var reply = await Admin.GetForReplyAsync($"/api/{serviceId}/audit/get/list" + (clientId is { } c ? $"?clientId={c}" : ""));
        Assert.True(reply.Status == HttpStatusCode.OK, "Expected 200: " + reply);
        return reply.Objects("events");
    }

    protected async Task<bool> IsLockedAsync(long serviceId, long clientId)
    {
        var reply = await Admin.GetForReplyAsync($"/api/{serviceId}/client/get/{clientId}");
        Assert.True(reply.Status == HttpStatusCode.OK, "Expected 200: " + reply);
        return reply.Has("locked") && reply.Bool("locked");
    }

    /// <summary>A service with a unique name (so that a page can be searched for it) and this grace period.</summary>
    protected async Task<(long ServiceId, string Name)> CreateServiceAsync(string label, long grace = 3600)
    {
        var name = $"{label} {Guid.NewGuid():N}"[..(label.Length + 9)];
        var body = new JsonObject { ["serviceName"] = name, ["clientSecretGracePeriod"] = grace };
        return (await Admin.CreateServiceAsync(body.ToJsonString()), name);
    }

    /// <summary>The permissions an API token can be given (every one but admin).</summary>
    protected static readonly string[] AllServicePermissions =
    [
        Permissions.ServiceRead, Permissions.ServiceWrite, Permissions.ClientRead, Permissions.ClientWrite, Permissions.ClientSecretRead,
        Permissions.ClientSecretWrite, Permissions.AuditRead, Permissions.WebhookRead, Permissions.WebhookWrite,
    ];
}
