using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Rekey.Contracts;

namespace Rekey.Console.Tests;

/// <summary>
/// An operator's day in the console (issue #17, "Tests"): sign in, create a service and a client, rotate a secret with a
/// grace period and hand the new one over, revoke the old one, lock and unlock — each checked where it matters, at the
/// token endpoint a real client calls, and in the audit trail the API keeps.
/// </summary>
[RequiresChromium]
public sealed class SecretLifecycleTests(BrowserFixture browser) : ConsoleTest(browser), IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task signing_in_with_the_organisation_token_opens_the_services_list()
    {
        var page = await OpenAsync();
        foreach (var entry in new[] { "/console", "/console/" })
        {
            var answer = await page.GotoAsync(entry);
            Assert.True(answer?.Status == 200 && SignInUrl().IsMatch(page.Url), $"{entry} should lead to the sign-in page; got {answer?.Status} at {page.Url}");
        }

        await SignInAsync(page, RekeyHost.AdminToken);

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Services", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Organisation token")).ToBeVisibleAsync();
        await Assertions.Expect(Button(page, "Sign out")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task a_wrong_access_token_is_refused_on_the_sign_in_page_and_opens_no_session()
    {
        var page = await OpenAsync();
        await page.GotoAsync("/console/signin");
        await page.GetByLabel("Access token").FillAsync("not-a-token-" + Guid.NewGuid().ToString("N"));

        var answer = await SubmitAsync(page, Button(page, "Sign in"));

        Assert.Equal(401, answer.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That access token is not valid.");
        await page.GotoAsync("/console/services");
        await page.WaitForURLAsync(SignInUrl());
    }

    [Fact]
    public async Task a_service_and_a_client_created_in_the_console_exist_and_the_secret_shown_at_creation_gets_a_token()
    {
        var page = await SignInAsync();
        var serviceName = "Created in the console " + Guid.NewGuid().ToString("N")[..8];

        await page.GetByLabel("Service name").FillAsync(serviceName);
        await SubmitAsync(page, Button(page, "Create service"));

        var serviceId = long.Parse(new Uri(page.Url).Segments[3].TrimEnd('/'), CultureInfo.InvariantCulture);
        Assert.Equal(ClientsPath(serviceId), new Uri(page.Url).AbsolutePath);
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Service created");
        var service = await Admin.GetForReplyAsync($"/api/{serviceId}/service/get");
        Assert.Equal(serviceName, service.Str("serviceName"));

        await page.GetByLabel("Client name").FillAsync("billing worker");
        await page.GetByLabel("Alias (optional)").FillAsync("billing-" + serviceId);
        var created = await SubmitAsync(page, Button(page, "Create client"));

        Assert.Equal(200, created.Status);
        var heading = await page.GetByRole(AriaRole.Heading, new() { NameRegex = new("^Client [0-9]+ created$") }).InnerTextAsync();
        var clientId = long.Parse(heading.Split(' ')[1], CultureInfo.InvariantCulture);
        var secret = await ShownSecretAsync(page);
        var client = await Admin.GetForReplyAsync($"/api/{serviceId}/client/get/{clientId}");
        Assert.Equal(("billing worker", "billing-" + serviceId), (client.Str("clientName"), client.Str("clientIdAlias")));
        await AssertTokenIssuedAsync(serviceId, clientId, secret, "the secret the console showed at creation");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "billing worker" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task rotating_with_a_grace_period_shows_the_new_secret_once_and_both_the_new_and_the_old_secret_get_tokens()
    {
        var (sid, _) = await CreateServiceAsync("Rotation");
        var (clientId, oldSecret) = await Admin.CreateClientAsync(sid, ClientCredentialsClient);
        var page = await SignInAsync();
        await page.GotoAsync(ClientPath(sid, clientId));

        var rotate = Section(page, "Rotate secret");
        await rotate.GetByLabel("Grace period (seconds)").FillAsync("7200");
        var answer = await SubmitAsync(page, Button(rotate, "Rotate secret"));

        Assert.Equal(200, answer.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New client secret" })).ToBeVisibleAsync();
        var newSecret = await ShownSecretAsync(page);
        Assert.NotEqual(oldSecret, newSecret);
        await AssertTokenIssuedAsync(sid, clientId, newSecret, "the rotated secret");
        await AssertTokenIssuedAsync(sid, clientId, oldSecret, "the old secret, within its grace period");

        // The page's table says the same: the new secret current, the old one previous, valid for about two hours more.
        var previous = page.Locator("tbody tr").Filter(new() { Has = page.Locator(".status.previous") });
        await Assertions.Expect(previous).ToHaveCountAsync(1);
        var validUntil = DateTimeOffset.Parse(await previous.Locator("time").Nth(1).GetAttributeAsync("datetime") ?? "", CultureInfo.InvariantCulture);
        Assert.InRange(validUntil - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(115), TimeSpan.FromMinutes(121));
        await Assertions.Expect(page.Locator("tbody tr").Filter(new() { Has = page.Locator(".status.current") })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task revoking_the_old_secret_in_the_console_makes_the_token_endpoint_refuse_it_and_keeps_the_new_one_working()
    {
        var (sid, _) = await CreateServiceAsync("Revocation");
        var (clientId, oldSecret) = await Admin.CreateClientAsync(sid, ClientCredentialsClient);
        var oldSecretId = await Admin.CurrentSecretIdAsync(sid, clientId);
        var page = await SignInAsync();
        await page.GotoAsync(ClientPath(sid, clientId));
        var rotate = Section(page, "Rotate secret");
        await rotate.GetByLabel("Grace period (seconds)").FillAsync("3600");
        await SubmitAsync(page, Button(rotate, "Rotate secret"));
        var newSecret = await ShownSecretAsync(page);
        await AssertTokenIssuedAsync(sid, clientId, oldSecret, "the old secret, before it is revoked");

        var revoked = await SubmitAsync(page, Button(page, $"Revoke secret {oldSecretId}"));

        Assert.Equal(200, revoked.Status);
        Assert.Equal(["Rotate the secret now? The client must switch to the new one before the grace period ends.", $"Revoke secret {oldSecretId} now? It stops working at once."],
            Confirmations);
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Secret revoked: it stopped working now.");
        await AssertTokenRefusedAsync(sid, clientId, oldSecret, "the revoked secret");
        await AssertTokenIssuedAsync(sid, clientId, newSecret, "the current secret after the old one was revoked");
        var row = page.Locator("tbody tr").Filter(new() { HasText = oldSecretId.ToString(CultureInfo.InvariantCulture) });
        await Assertions.Expect(row.Locator(".status")).ToHaveTextAsync("revoked");
        await Assertions.Expect(Button(page, $"Revoke secret {oldSecretId}")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task locking_the_client_makes_its_token_requests_fail_and_unlocking_restores_them()
    {
        var (sid, _) = await CreateServiceAsync("Locking");
        var (clientId, secret) = await Admin.CreateClientAsync(sid, ClientCredentialsClient);
        var page = await SignInAsync();
        await page.GotoAsync(ClientPath(sid, clientId));
        await Assertions.Expect(page.Locator("main .status").First).ToHaveTextAsync("Active");

        await SubmitAsync(page, Button(page, "Lock client"));

        Assert.Equal("Lock this client? Its secrets are refused until it is unlocked.", Assert.Single(Confirmations));
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Client locked");
        await Assertions.Expect(page.Locator("main .status").First).ToHaveTextAsync("Locked");
        Assert.True(await IsLockedAsync(sid, clientId));
        await AssertTokenRefusedAsync(sid, clientId, secret, "the secret of a locked client");

        await SubmitAsync(page, Button(page, "Unlock client"));

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Client unlocked.");
        Assert.False(await IsLockedAsync(sid, clientId));
        await AssertTokenIssuedAsync(sid, clientId, secret, "the same secret once the client is unlocked");
    }

    [Fact]
    public async Task after_navigating_away_and_back_the_rotated_secret_is_shown_nowhere_in_the_page()
    {
        var (sid, _) = await CreateServiceAsync("Shown once");
        var (clientId, _) = await Admin.CreateClientAsync(sid, ClientCredentialsClient);
        var page = await SignInAsync();
        await page.GotoAsync(ClientPath(sid, clientId));
        await SubmitAsync(page, Button(Section(page, "Rotate secret"), "Rotate secret"));
        var secret = await ShownSecretAsync(page);

        // Away through the navigation, back through the list's link.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Service" }).GetByRole(AriaRole.Link, new() { Name = "Clients" }).ClickAsync();
        await page.WaitForURLAsync($"**{ClientsPath(sid)}");
        await page.GetByRole(AriaRole.Link, new() { Name = "console test client" }).ClickAsync();
        await page.WaitForURLAsync($"**{ClientPath(sid, clientId)}");
        await AssertSecretNowhereAsync(page, secret, "after following links away and back");

        // And through the browser's history, back to the rotation's answer: it was no-store, so the browser kept nothing
        // to show again; Chromium shows its own "Confirm form resubmission" page (ERR_CACHE_MISS) and posts nothing.
        await page.GoBackAsync();
        var back = await Record.ExceptionAsync(() => page.GoBackAsync());
        Assert.True(back is null || back.Message.Contains("ERR_CACHE_MISS", StringComparison.Ordinal), "Going back failed otherwise: " + back);
        await page.WaitForLoadStateAsync(LoadState.Load);
        await AssertSecretNowhereAsync(page, secret, "after going back in the history to the rotation's answer");
        await page.GoForwardAsync();
        await AssertSecretNowhereAsync(page, secret, "after going forward again");
    }

    [Fact]
    public async Task the_audit_trail_records_each_console_action_as_the_api_would_with_the_organisation_as_actor()
    {
        var (sid, _) = await CreateServiceAsync("Audited");
        var page = await SignInAsync();
        await page.GotoAsync(ClientsPath(sid));
        await page.GetByLabel("Client name").FillAsync("audited client");
        await SubmitAsync(page, Button(page, "Create client"));
        var clientId = long.Parse((await page.GetByRole(AriaRole.Heading, new() { NameRegex = new("^Client [0-9]+ created$") }).InnerTextAsync()).Split(' ')[1],
            CultureInfo.InvariantCulture);
        var firstSecretId = await Admin.CurrentSecretIdAsync(sid, clientId);
        await page.GotoAsync(ClientPath(sid, clientId));
        await SubmitAsync(page, Button(Section(page, "Rotate secret"), "Rotate secret"));
        await SubmitAsync(page, Button(page, $"Revoke secret {firstSecretId}"));
        await SubmitAsync(page, Button(page, "Lock client"));
        await SubmitAsync(page, Button(page, "Unlock client"));

        var events = (await AuditAsync(sid, clientId)).Reverse().ToList();

        Assert.Equal(
            [AuditActions.ClientCreate, AuditActions.SecretRefresh, AuditActions.SecretRevoke, AuditActions.ClientLock, AuditActions.ClientUnlock],
            events.Select(e => e["action"]?.GetValue<string>()));
        Assert.All(events, e =>
        {
            Assert.Equal("success", e["outcome"]?.GetValue<string>());
            Assert.Equal("organisation", e["actorKind"]?.GetValue<string>());
            Assert.Equal(sid, e["serviceId"]?.GetValue<long>());
            Assert.Equal(clientId, e["clientId"]?.GetValue<long>());
            Assert.False(string.IsNullOrEmpty(e["requestId"]?.GetValue<string>()), "Each event names its request: " + e.ToJsonString());
        });
        Assert.Equal(firstSecretId, events[2]["secretId"]?.GetValue<long>());
        Assert.Equal(events.Count, events.Select(e => e["requestId"]?.GetValue<string>()).Distinct().Count());
    }

    private static async Task AssertSecretNowhereAsync(IPage page, string secret, string when)
    {
        Assert.False((await SettledContentAsync(page)).Contains(secret, StringComparison.Ordinal), $"The secret is in the page {when} ({page.Url}).");
        Assert.True(await page.Locator("#new-secret").CountAsync() == 0, $"An #new-secret output is on the page {when} ({page.Url}).");
        Assert.True(await page.GetByText("New client secret").CountAsync() == 0, $"\"New client secret\" is on the page {when} ({page.Url}).");
    }

    /// <summary>The page's HTML once a history navigation has settled (Chromium may still be replacing the document).</summary>
    private static async Task<string> SettledContentAsync(IPage page)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await page.WaitForLoadStateAsync(LoadState.Load);
                return await page.ContentAsync();
            }
            catch (PlaywrightException ex) when (attempt < 20 && ex.Message.Contains("navigating", StringComparison.Ordinal))
            {
                await Task.Delay(100);
            }
        }
    }
}
