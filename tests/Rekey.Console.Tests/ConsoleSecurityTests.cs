using System.Net;
using Microsoft.Playwright;
using Rekey.Contracts;

namespace Rekey.Console.Tests;

/// <summary>
/// The console's security promises (issue #17, "How it must be built"), checked from the browser: the headers of every
/// page, antiforgery on every form, a session that ends at sign-out, and a token that sees only its own service, in the
/// lists and when another service's address is typed in.
/// </summary>
[RequiresChromium]
public sealed class ConsoleSecurityTests(BrowserFixture browser) : ConsoleTest(browser), IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task every_console_page_carries_a_csp_without_unsafe_inline_forbids_framing_sends_no_referrer_and_is_not_stored()
    {
        var (sid, _) = await CreateServiceAsync("Headers");
        var (clientId, _) = await Admin.CreateClientAsync(sid, ClientCredentialsClient);
        var page = await OpenAsync();
        var answers = new List<(string Page, IResponse? Answer)> { ("sign-in", await page.GotoAsync("/console/signin")) };
        await SignInAsync(page, RekeyHost.AdminToken);
        foreach (var path in new[] { "/console/services", ClientsPath(sid), ClientPath(sid, clientId), $"/console/services/{sid}", "/console/services/1/clients/1" })
        {
            answers.Add((path, await page.GotoAsync(path)));
        }

        await page.GotoAsync(ClientPath(sid, clientId));
        answers.Add(("the rotation's answer, which shows the secret", await SubmitAsync(page, Button(Section(page, "Rotate secret"), "Rotate secret"))));

        foreach (var (name, answer) in answers)
        {
            Assert.True(answer is not null, $"{name}: no answer");
            var headers = await answer.AllHeadersAsync();
            var csp = headers.GetValueOrDefault("content-security-policy") ?? "";
            var directives = csp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.True(directives.Contains("frame-ancestors 'none'"), $"{name}: CSP without frame-ancestors 'none': '{csp}'");
            Assert.True(directives.Contains("script-src 'self'") && directives.Contains("default-src 'none'"), $"{name}: CSP allows more script than the console's own: '{csp}'");
            Assert.DoesNotContain("'unsafe-inline'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("'unsafe-eval'", csp, StringComparison.Ordinal);
            Assert.Equal("no-referrer", headers.GetValueOrDefault("referrer-policy"));
            Assert.Contains("no-store", headers.GetValueOrDefault("cache-control") ?? "", StringComparison.Ordinal);
            Assert.Equal("DENY", headers.GetValueOrDefault("x-frame-options"));
            Assert.Equal("nosniff", headers.GetValueOrDefault("x-content-type-options"));
        }
        // (The pages loaded under that policy without a single violation: ConsoleTest fails any test whose pages logged one.)
    }

    [Theory]
    [InlineData("a forged value")]
    [InlineData("no value at all")]
    public async Task a_form_posted_without_the_sessions_csrf_value_changes_nothing(string csrf)
    {
        var (sid, _) = await CreateServiceAsync("Antiforgery");
        var (clientId, secret) = await Admin.CreateClientAsync(sid, ClientCredentialsClient);
        var page = await SignInAsync();
        await page.GotoAsync(ClientPath(sid, clientId));
        var field = page.Locator($"form[action='{ClientPath(sid, clientId)}/lock'] input[name=csrf]");
        await field.EvaluateAsync(csrf == "no value at all" ? "input => input.remove()" : "input => { input.value = 'forged-' + input.value.slice(7); }");

        var answer = await SubmitAsync(page, Button(page, "Lock client"));

        Assert.Equal(400, answer.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Form expired" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Nothing was changed");
        Assert.False(await IsLockedAsync(sid, clientId));
        await AssertTokenIssuedAsync(sid, clientId, secret, "the client the refused form would have locked");
        Assert.DoesNotContain(await AuditAsync(sid, clientId), e => e["action"]?.GetValue<string>() == AuditActions.ClientLock);
    }

    [Fact]
    public async Task a_post_that_carries_the_session_cookie_but_no_csrf_value_creates_nothing()
    {
        var page = await SignInAsync();
        var before = (await Admin.GetForReplyAsync("/api/service/get/list")).Int("totalCount");
        var name = "forged " + Guid.NewGuid().ToString("N");

        // What another page could make the browser send if SameSite did not stop it: the cookie goes along, the form's secret cannot.
        var answer = await page.Context.APIRequest.PostAsync("/console/services", new() { Form = page.Context.APIRequest.CreateFormData().Set("serviceName", name) });

        Assert.Equal(400, answer.Status);
        Assert.Contains("Form expired", await answer.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(before, (await Admin.GetForReplyAsync("/api/service/get/list")).Int("totalCount"));
    }

    [Fact]
    public async Task signing_out_ends_the_session_and_its_cookie_no_longer_opens_a_page()
    {
        var page = await SignInAsync();
        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "rekey-console");
        Assert.True(cookie.HttpOnly, "The session cookie is HttpOnly.");
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

        await SubmitAsync(page, Button(page, "Sign out"));

        Assert.Matches(SignInUrl(), page.Url);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "rekey-console");
        await page.GotoAsync("/console/services");
        Assert.Matches(SignInUrl(), page.Url);

        // The old cookie, kept by someone and sent again, names no session any more: in another browser…
        var replay = await OpenAsync();
        await replay.Context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = cookie.Name, Value = cookie.Value, Domain = cookie.Domain, Path = cookie.Path }]);
        await replay.GotoAsync("/console/services");
        Assert.Matches(SignInUrl(), replay.Url);

        // …and over plain HTTP.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = Host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/console/services");
        request.Headers.Add("Cookie", $"{cookie.Name}={cookie.Value}");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/console/signin", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_api_token_of_another_service_sees_only_its_own_service_and_is_refused_this_one_with_A000204()
    {
        var (mine, mineName) = await CreateServiceAsync("Mine");
        var (theirs, theirsName) = await CreateServiceAsync("Theirs");
        var (clientId, secret) = await Admin.CreateClientAsync(mine, """{"clientName":"a client of mine","grantTypes":["CLIENT_CREDENTIALS"]}""");
        var token = await Admin.CreateApiTokenAsync(theirs, AllServicePermissions);

        var page = await SignInAsync(token.Token);

        await Assertions.Expect(page.GetByText($"API token {token.TokenId} · service {theirs}")).ToBeVisibleAsync();
        var rows = page.Locator("main tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows).ToContainTextAsync(theirsName);
        Assert.DoesNotContain(mineName, await page.ContentAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Create a service" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "API tokens" })).ToHaveCountAsync(0);

        foreach (var path in new[] { ClientsPath(mine), ClientPath(mine, clientId), $"/console/services/{mine}" })
        {
            var answer = await page.GotoAsync(path);
            Assert.Equal(403, answer?.Status);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("main code")).ToHaveTextAsync(ResultCodes.WrongService.Code);
            var content = await page.ContentAsync();
            Assert.DoesNotContain(mineName, content, StringComparison.Ordinal);
            Assert.DoesNotContain("a client of mine", content, StringComparison.Ordinal);
        }

        // Forced: an action on this service's client, with the session's own antiforgery value, is refused and changes nothing.
        var csrf = await page.Locator("form[action='/console/signout'] input[name=csrf]").InputValueAsync();
        var forced = await page.Context.APIRequest.PostAsync(ClientPath(mine, clientId) + "/lock", new() { Form = page.Context.APIRequest.CreateFormData().Set("csrf", csrf) });
        Assert.Equal(403, forced.Status);
        Assert.Contains(ResultCodes.WrongService.Code, await forced.TextAsync(), StringComparison.Ordinal);
        Assert.False(await IsLockedAsync(mine, clientId));
        await AssertTokenIssuedAsync(mine, clientId, secret, "the client the other service's token tried to lock");
    }

    [Fact]
    public async Task a_page_asked_for_without_a_session_leads_to_sign_in_and_back_to_that_page()
    {
        var (sid, name) = await CreateServiceAsync("Deep link");
        var page = await OpenAsync();

        await page.GotoAsync($"/console/services/{sid}");
        Assert.Matches(SignInUrl(), page.Url);
        await page.GetByLabel("Access token").FillAsync(RekeyHost.AdminToken);
        await SubmitAsync(page, Button(page, "Sign in"));

        Assert.EndsWith($"/console/services/{sid}", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.GetByLabel("Service name")).ToHaveValueAsync(name);
    }
}
