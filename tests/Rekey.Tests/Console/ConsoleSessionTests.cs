using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rekey.Contracts;

namespace Rekey.Tests.Console;

/// <summary>
/// The console's sessions over real HTTP (no browser): what signs in, what ends a session, what a session may reach,
/// and the headers every page carries. The browser suite (tests/Rekey.Console.Tests) drives the pages themselves.
/// </summary>
public sealed partial class ConsoleSessionTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private RekeyHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await RekeyHost.StartAsync(new SqliteTestStore(), services: s => s.AddSingleton<TimeProvider>(_time));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _host.Store.DisposeAsync();
    }

    [GeneratedRegex("name=\"csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();

    /// <summary>A browser-like client: cookies kept, redirects not followed (so that they can be seen).</summary>
    private HttpClient Browser() => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = _host.BaseAddress };

    private static async Task<string> CsrfOfAsync(HttpClient browser, string path)
    {
        var page = await browser.GetStringAsync(path);
        return CsrfField().Match(page).Groups[1].Value;
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string token, string? next = null)
    {
        var csrf = await CsrfOfAsync(browser, "/console/signin");
        return await browser.PostAsync("/console/signin", new FormUrlEncodedContent([new("csrf", csrf), new("token", token), new("next", next ?? "")]));
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient browser, string path, string csrf, params (string, string)[] fields) =>
        browser.PostAsync(path, new FormUrlEncodedContent([new("csrf", csrf), .. fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2))]));

    [Fact]
    public async Task a_valid_token_signs_in_to_a_session_cookie_that_holds_no_token_and_a_wrong_one_gets_nothing()
    {
        using var browser = Browser();
        var refused = await SignInAsync(browser, "rk_not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.DoesNotContain(refused.Headers.TryGetValues("Set-Cookie", out var none) ? none : [], c => c.StartsWith("rekey-console=", StringComparison.Ordinal));

        var signedIn = await SignInAsync(browser, RekeyHost.AdminToken);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/console/services", signedIn.Headers.Location?.OriginalString);
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("rekey-console=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(RekeyHost.AdminToken, cookie, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/console/services")).StatusCode);
        Assert.DoesNotContain(_host.Logs.Lines, l => l.Contains(RekeyHost.AdminToken, StringComparison.Ordinal));
    }

    [Fact]
    public async Task without_a_session_every_page_goes_to_sign_in_and_back_only_to_the_console()
    {
        using var browser = Browser();
        var page = await browser.GetAsync("/console/services/123/clients?q=a");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/console/signin?next=%2Fconsole%2Fservices%2F123%2Fclients%3Fq%3Da", page.Headers.Location?.OriginalString);

        foreach (var next in new[] { "https://evil.example/", "//evil.example/x", "/console//evil.example", "/api/service/get/list", "/console/\\evil" })
        {
            using var other = Browser();
            Assert.Equal("/console/services", (await SignInAsync(other, RekeyHost.AdminToken, next)).Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task a_session_ends_when_idle_too_long_at_its_absolute_limit_at_sign_out_and_when_its_token_is_deleted()
    {
        using var idle = Browser();
        await SignInAsync(idle, RekeyHost.AdminToken);
        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(HttpStatusCode.OK, (await idle.GetAsync("/console/services")).StatusCode);
        _time.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(HttpStatusCode.Redirect, (await idle.GetAsync("/console/services")).StatusCode);

        using var busy = Browser();
        await SignInAsync(busy, RekeyHost.AdminToken);
        for (var i = 0; i < 25; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(29));
            if ((await busy.GetAsync("/console/services")).StatusCode != HttpStatusCode.OK)
            {
                Assert.True(i * 29 >= 11 * 60, $"ended after {i * 29} minutes of use");
                break;
            }

            Assert.True(i * 29 < 12 * 60 + 29, "still signed in after the absolute limit");
        }

        using var leaving = Browser();
        await SignInAsync(leaving, RekeyHost.AdminToken);
        var csrf = await CsrfOfAsync(leaving, "/console/services");
        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync(leaving, "/console/signout", csrf)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await leaving.GetAsync("/console/services")).StatusCode);

        using var admin = _host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var token = await admin.CreateApiTokenAsync(serviceId, Permissions.ServiceRead, Permissions.ClientRead);
        using var service = Browser();
        await SignInAsync(service, token.Token);
        Assert.Equal(HttpStatusCode.OK, (await service.GetAsync($"/console/services/{serviceId}/clients")).StatusCode);
        await admin.SendForReplyAsync(HttpMethod.Delete, $"/api/apitoken/delete/{token.TokenId}");
        Assert.Equal(HttpStatusCode.Redirect, (await service.GetAsync($"/console/services/{serviceId}/clients")).StatusCode);
    }

    [Fact]
    public async Task a_service_token_reaches_only_its_service_and_only_its_permissions_and_a_forced_action_is_refused_and_audited()
    {
        using var admin = _host.CreateAdminClient();
        var own = await admin.CreateServiceAsync();
        var other = await admin.CreateServiceAsync();
        var client = await admin.CreateClientAsync(own);
        var token = await admin.CreateApiTokenAsync(own, Permissions.ServiceRead, Permissions.ClientRead);
        using var browser = Browser();
        await SignInAsync(browser, token.Token);

        var list = await browser.GetStringAsync("/console/services");
        Assert.Contains($"/console/services/{own}/clients", list, StringComparison.Ordinal);
        Assert.DoesNotContain($"{other}", list, StringComparison.Ordinal);
        var elsewhere = await browser.GetAsync($"/console/services/{other}/clients");
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
        Assert.Contains("A000204", await elsewhere.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Read-only: the client page offers no rotation, and a forced one is refused (403 A000203), audited, and changes nothing.
        var page = await browser.GetStringAsync($"/console/services/{own}/clients/{client.ClientId}");
        Assert.DoesNotContain("Rotate secret", page, StringComparison.Ordinal);
        var csrf = CsrfField().Match(page).Groups[1].Value;
        var forced = await PostAsync(browser, $"/console/services/{own}/clients/{client.ClientId}/rotate", csrf);
        Assert.Equal(HttpStatusCode.Forbidden, forced.StatusCode);
        Assert.Contains("A000203", await forced.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(client.Secret, await admin.CurrentSecretAsync(client));
        var audit = await admin.GetForReplyAsync($"/api/{own}/audit/get/list?action={AuditActions.SecretRefresh}");
        var entry = Assert.Single(audit.Objects("events"));
        Assert.Equal(("A000203", "service", token.TokenId), (entry["outcome"]!.GetValue<string>(), entry["actorKind"]!.GetValue<string>(), entry["actorTokenId"]!.GetValue<long>()));
    }

    [Fact]
    public async Task a_form_without_the_sessions_antiforgery_value_changes_nothing()
    {
        using var admin = _host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var client = await admin.CreateClientAsync(serviceId);
        using var browser = Browser();
        await SignInAsync(browser, RekeyHost.AdminToken);
        using var attacker = Browser();
        await SignInAsync(attacker, RekeyHost.AdminToken);
        var attackersCsrf = await CsrfOfAsync(attacker, "/console/services");

        foreach (var csrf in new[] { "", "x", attackersCsrf })
        {
            var refused = await PostAsync(browser, $"/console/services/{serviceId}/clients/{client.ClientId}/lock", csrf);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        Assert.False((await admin.GetForReplyAsync($"/api/{serviceId}/client/get/{client.ClientId}")).Bool("locked"));
        var ok = await PostAsync(browser, $"/console/services/{serviceId}/clients/{client.ClientId}/lock", await CsrfOfAsync(browser, "/console/services"));
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
        Assert.True((await admin.GetForReplyAsync($"/api/{serviceId}/client/get/{client.ClientId}")).Bool("locked"));
    }

    [Fact]
    public async Task every_page_carries_the_consoles_headers_and_its_files_are_cacheable()
    {
        using var browser = Browser();
        var signin = await browser.GetAsync("/console/signin");
        var csp = string.Join(";", signin.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("no-referrer", signin.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", signin.Headers.GetValues("X-Frame-Options").Single());
        Assert.True(signin.Headers.CacheControl?.NoStore);
        var html = await signin.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("style=\"", html, StringComparison.Ordinal);

        var css = await browser.GetAsync(Regex.Match(html, "href=\"(/console/static/console.css[^\"]*)\"").Groups[1].Value);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", css.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/console/static/nothing.js")).StatusCode);
    }

    [Fact]
    public async Task ten_failed_sign_ins_from_one_address_are_then_refused_for_a_while()
    {
        using var browser = Browser();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(browser, "rk_wrong-" + i)).StatusCode);
        }

        var limited = await SignInAsync(browser, RekeyHost.AdminToken);
        Assert.Equal((HttpStatusCode)429, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
    }

    [Fact]
    public async Task the_console_can_be_turned_off()
    {
        await using var store = new SqliteTestStore();
        await using var off = await RekeyHost.StartAsync(store, new Dictionary<string, string?> { ["Rekey:Console:Enabled"] = "false" });
        using var browser = new HttpClient { BaseAddress = off.BaseAddress };
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/console/signin")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/console/services")).StatusCode);
    }
}
