using Microsoft.Playwright;

namespace Rekey.Console.Tests;

/// <summary>
/// "Accessible: real labels, keyboard operable, visible focus; works at phone width" (issue #17): the sign-in form done
/// with the keyboard alone, and every page at 390×844 without sideways scrolling.
/// </summary>
[RequiresChromium]
public sealed class ConsoleUsabilityTests(BrowserFixture browser) : ConsoleTest(browser), IClassFixture<BrowserFixture>
{
    /// <summary>The focused element, whether the browser draws a focus indicator on it (an outline or a ring), and how.</summary>
    private const string FocusScript = """
        () => {
          const e = document.activeElement, s = getComputedStyle(e);
          const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
          return { id: e.id, tag: e.tagName.toLowerCase(), text: (e.textContent || '').trim(), visible: outline || s.boxShadow !== 'none',
                   style: `outline: ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}; box-shadow: ${s.boxShadow}` };
        }
        """;

    [Fact]
    public async Task the_sign_in_form_can_be_completed_with_the_keyboard_alone_and_focus_is_always_visible()
    {
        var page = await OpenAsync();
        await page.GotoAsync("/console/signin");

        // The token field has the focus on arrival (autofocus), visibly.
        var first = await page.EvaluateAsync<Focus>(FocusScript);
        Assert.Equal("token", first.Id);
        Assert.True(first.Visible, "No visible focus on the token field: " + first.Style);

        // Tab once round the page, back to the token field: every stop is visibly focused, the skip link among them.
        var stops = new List<Focus>();
        for (var i = 0; i < 15 && (stops.Count == 0 || stops[^1].Id != "token"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
            stops.Add(await page.EvaluateAsync<Focus>(FocusScript));
        }

        Assert.Equal("token", stops[^1].Id);
        Assert.Contains(stops, stop => stop.Text == "Skip to content");
        Assert.Contains(stops, stop => stop.Text == "Sign in");
        // (Past the last stop the focus leaves the page for the browser's own controls: the document body holds it meanwhile.)
        Assert.All(stops.Where(stop => stop.Tag != "body"), stop => Assert.True(stop.Visible, $"No visible focus on <{stop.Tag} id='{stop.Id}'> {stop.Text}: {stop.Style}"));

        await page.Keyboard.TypeAsync(RekeyHost.AdminToken);
        await page.Keyboard.PressAsync("Tab");
        var button = await page.EvaluateAsync<Focus>(FocusScript);
        Assert.Equal(("button", "Sign in"), (button.Tag, button.Text));
        await page.Keyboard.PressAsync("Enter");

        await page.WaitForURLAsync(ServicesListUrl());
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Services", Exact = true })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task the_skip_link_moves_the_keyboard_past_the_navigation_to_the_page()
    {
        var page = await SignInAsync();
        await page.Locator("body").FocusAsync();

        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        await page.Keyboard.PressAsync("Tab");

        var focus = await page.EvaluateAsync<Focus>(FocusScript);
        Assert.True(await page.EvaluateAsync<bool>("() => document.querySelector('main').contains(document.activeElement)"),
            $"After the skip link, Tab should land inside <main>; it is on <{focus.Tag} id='{focus.Id}'> {focus.Text}");
    }

    [Fact]
    public async Task at_phone_width_no_page_scrolls_sideways()
    {
        var (sid, _) = await CreateServiceAsync("Phone");
        var (clientId, _) = await Admin.CreateClientAsync(sid, """{"clientName":"a client with a rather long name to see how it wraps on a phone","grantTypes":["CLIENT_CREDENTIALS"]}""");
        await Admin.RefreshSecretAsync(sid, clientId, "3600");
        var phone = new BrowserNewContextOptions { ViewportSize = new() { Width = 390, Height = 844 }, DeviceScaleFactor = 3, IsMobile = true, HasTouch = true };
        var page = await OpenAsync(phone);
        var wide = new List<string>();

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
        await CheckAsync("the client page showing a new 86-character secret");
        await page.GotoAsync("/console/services/1/clients/1");
        await CheckAsync("a refusal page");

        Assert.True(wide.Count == 0, "Pages wider than a 390-pixel phone:\n" + string.Join('\n', wide));

        async Task CheckAsync(string what)
        {
            var size = await page.EvaluateAsync<Width>("() => ({ scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: window.innerWidth })");
            if (Math.Max(size.Scroll, size.Body) > size.View)
            {
                var culprits = await page.EvaluateAsync<string[]>("""
                    () => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap'))
                      .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '') + ' right=' + Math.round(e.getBoundingClientRect().right))
                    """);
                wide.Add($"{what} ({page.Url}): {Math.Max(size.Scroll, size.Body)} px in a {size.View} px window; {string.Join(", ", culprits)}");
            }
        }
    }

    // Classes with setters, not positional records: Playwright reads a script's result through a parameterless constructor.
    private sealed class Focus
    {
        public string Id { get; set; } = "";

        public string Tag { get; set; } = "";

        public string Text { get; set; } = "";

        public bool Visible { get; set; }

        public string Style { get; set; } = "";
    }

    private sealed class Width
    {
        public int Scroll { get; set; }

        public int Body { get; set; }

        public int View { get; set; }
    }
}
