using System.Net;
using Microsoft.Playwright;
using Rekey.Contracts;

namespace Rekey.Console.Tests;

/// <summary>The console's audit timeline, API tokens, keys and webhooks pages, in the browser.</summary>
[RequiresChromium]
public sealed class AdministrationPagesTests(BrowserFixture browser) : ConsoleTest(browser), IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task the_audit_page_shows_the_console_actions_as_a_timeline_linked_to_the_client_and_filterable_by_action()
    {
        var (sid, _) = await CreateServiceAsync("Audit page");
        var (clientId, _) = await Admin.CreateClientAsync(sid, ClientCredentialsClient);
        var page = await SignInAsync();
        await page.GotoAsync(ClientPath(sid, clientId));
        await SubmitAsync(page, Button(Section(page, "Rotate secret"), "Rotate secret"));
        await SubmitAsync(page, Button(page, "Lock client"));
        await SubmitAsync(page, Button(page, "Unlock client"));

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Service" }).GetByRole(AriaRole.Link, new() { Name = "Audit" }).ClickAsync();

        await page.WaitForURLAsync($"**/console/services/{sid}/audit");
        var main = page.Locator("main");
        foreach (var action in new[] { AuditActions.ClientCreate, AuditActions.SecretRefresh, AuditActions.ClientLock, AuditActions.ClientUnlock })
        {
            await Assertions.Expect(main).ToContainTextAsync(action);
        }

        await Assertions.Expect(main.Locator($"a[href='{ClientPath(sid, clientId)}']").First).ToBeVisibleAsync();
        await page.GotoAsync($"/console/services/{sid}/audit?action={AuditActions.ClientLock}");
        var timeline = page.Locator("main table");
        await Assertions.Expect(timeline).ToContainTextAsync(AuditActions.ClientLock);
        await Assertions.Expect(timeline).Not.ToContainTextAsync(AuditActions.SecretRefresh);
        await page.GotoAsync($"/console/services/{sid}/audit?client={clientId}");
        await Assertions.Expect(main).ToContainTextAsync(AuditActions.ClientUnlock);
    }

    [Fact]
    public async Task a_token_without_audit_read_is_offered_no_audit_page_and_refused_it_when_forced()
    {
        var (sid, _) = await CreateServiceAsync("No audit");
        var token = await Admin.CreateApiTokenAsync(sid, Permissions.ServiceRead, Permissions.ClientRead);
        var page = await SignInAsync(token.Token);
        await page.GotoAsync(ClientsPath(sid));

        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Audit" })).ToHaveCountAsync(0);
        var forced = await page.GotoAsync($"/console/services/{sid}/audit");
        Assert.Equal(403, forced?.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task an_api_token_created_in_the_console_is_shown_once_works_at_the_api_and_stops_working_when_deleted()
    {
        var (sid, name) = await CreateServiceAsync("Tokens page");
        var page = await SignInAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "API tokens" }).ClickAsync();
        await page.WaitForURLAsync("**/console/tokens");

        await page.GetByLabel("Service", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = $"{name} · {sid}" });
        await page.GetByLabel(Permissions.ClientRead, new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Description").FillAsync("console test token");
        await SubmitAsync(page, Button(page, "Create API token"));

        var token = (await page.Locator("main output").First.InnerTextAsync()).Trim();
        using (var api = Host.CreateClient(token))
        {
            Assert.Equal(HttpStatusCode.OK, (await api.GetForReplyAsync($"/api/{sid}/client/get/list")).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await api.PostJsonForReplyAsync($"/api/{sid}/client/create", """{"clientName":"not allowed"}""")).Status);
        }

        await page.GotoAsync("/console/tokens");
        Assert.DoesNotContain(token, await page.ContentAsync(), StringComparison.Ordinal);
        var row = page.Locator("tbody tr").Filter(new() { HasText = "console test token" });
        await SubmitAsync(page, row.GetByRole(AriaRole.Button));

        await Assertions.Expect(page.Locator("p[role=status]")).ToHaveTextAsync("API token deleted; it stopped working now.");
        using (var api = Host.CreateClient(token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetForReplyAsync($"/api/{sid}/client/get/list")).Status);
        }
    }

    [Fact]
    public async Task the_keys_page_rotates_the_data_key_and_shows_how_many_values_each_key_protects()
    {
        var before = (await Admin.GetForReplyAsync("/api/keys/get/list")).Objects("keys").Count;
        var page = await SignInAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Keys" }).ClickAsync();
        await page.WaitForURLAsync("**/console/keys");

        await SubmitAsync(page, Button(page, "Rotate data key"));

        await Assertions.Expect(page.Locator("p[role=status]")).ToContainTextAsync("Data key rotated");
        Assert.Equal(before + 1, (await Admin.GetForReplyAsync("/api/keys/get/list")).Objects("keys").Count);
        await Assertions.Expect(page.Locator("main table").First.Locator("tbody tr")).ToHaveCountAsync(before + 1);
    }

    [Fact]
    public async Task a_webhook_created_in_the_console_receives_its_test_event()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (sid, _) = await CreateServiceAsync("Webhooks page");
        var page = await SignInAsync();
        await page.GotoAsync(ClientsPath(sid));
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Service" }).GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await page.WaitForURLAsync($"**/console/services/{sid}/webhooks");

        await page.GetByLabel("URL", new() { Exact = true }).FillAsync(receiver.Url.ToString());
        await SubmitAsync(page, Button(page, "Create webhook"));
        await Assertions.Expect(page.Locator("p[role=status]")).ToContainTextAsync("Webhook created.");
        var list = await Admin.GetForReplyAsync($"/api/{sid}/webhook/get/list");
        var webhook = Assert.Single(list.Objects("webhooks"));
        Assert.Equal(receiver.Url.ToString(), webhook["url"]?.GetValue<string>());

        await SubmitAsync(page, Button(page, "Send test event"));

        await Assertions.Expect(page.Locator("p[role=status]")).ToContainTextAsync("Test event queued");
        var received = await receiver.WaitForAsync(w => w.Type == EventTypes.WebhookTest, what: "the console's test event");
        Assert.Equal(sid, received.Data["serviceId"]?.GetValue<long>());
    }
}
