using System.Net;
using System.Text.RegularExpressions;
using Rekey.Contracts;

namespace Rekey.Tests.Console;

/// <summary>
/// The console over real HTTP, as a browser without scripts uses it: a cookie jar, redirects not followed (a test
/// sees where it is sent), forms posted URL-encoded with the session's <c>csrf</c> field. Signs in as a person does:
/// GET the sign-in page, read its hidden <c>csrf</c>, POST the token.
/// </summary>
public sealed class ConsoleBrowser : IDisposable
{
    private readonly HttpClient _http;

    private ConsoleBrowser(Uri baseAddress)
    {
        _http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = baseAddress };
    }

    /// <summary>The session's antiforgery value, as every page's forms carry it.</summary>
    public string Csrf { get; private set; } = "";

    public static async Task<ConsoleBrowser> SignInAsync(RekeyHost host, string token)
    {
        var browser = new ConsoleBrowser(host.BaseAddress);
        var form = await browser.GetAsync("/console/signin");
        var signedIn = await browser.PostRawAsync("/console/signin", ("csrf", form.Field("csrf")), ("next", "/console/services"), ("token", token));
        Assert.True(signedIn.Status == HttpStatusCode.Redirect && signedIn.Location == "/console/services", "Expected a redirect after sign-in: " + signedIn);
        browser.Csrf = (await browser.GetAsync("/console/services")).Field("csrf");
        return browser;
    }

    public async Task<ConsolePage> GetAsync(string path)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
        return await ConsolePage.ReadAsync(response);
    }

    /// <summary>Posts a form with the session's <c>csrf</c>, as every console form does.</summary>
    public Task<ConsolePage> PostAsync(string path, params (string Name, string Value)[] fields) => PostRawAsync(path, [("csrf", Csrf), .. fields]);

    /// <summary>Posts exactly these fields (no <c>csrf</c> added).</summary>
    public async Task<ConsolePage> PostRawAsync(string path, params (string Name, string Value)[] fields)
    {
        using var content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        using var response = await _http.PostAsync(new Uri(path, UriKind.Relative), content);
        return await ConsolePage.ReadAsync(response);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A console answer: status, where a redirect goes, and the HTML, with readers for what the tests look at.</summary>
public sealed partial record ConsolePage(HttpStatusCode Status, string? Location, string Html)
{
    public static async Task<ConsolePage> ReadAsync(HttpResponseMessage response) =>
        new(response.StatusCode, response.Headers.Location?.OriginalString, await response.Content.ReadAsStringAsync());

    /// <summary>The value of the first form field named <paramref name="name"/> (decoded).</summary>
    public string Field(string name)
    {
        var match = Regex.Match(Html, $"<input[^>]*name=\"{Regex.Escape(name)}\"[^>]*value=\"([^\"]*)\"");
        Assert.True(match.Success, $"No field '{name}' on the page: {this}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>The text of <c>&lt;output id="…"&gt;</c>: where a value shown once is (decoded).</summary>
    public string? Output(string id)
    {
        var match = Regex.Match(Html, $"""<output id="{Regex.Escape(id)}"[^>]*>([^<]*)</output>""");
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    /// <summary>The page's text with tags removed and entities decoded, for "the page says …" checks.</summary>
    public string Text => WebUtility.HtmlDecode(Tags().Replace(Html, " "));

    public void AssertStatus(HttpStatusCode status) => Assert.True(Status == status, $"Expected {(int)status}: {this}");

    public void AssertRedirect(string location) =>
        Assert.True(Status == HttpStatusCode.Redirect && Location == location, $"Expected a redirect to {location}: {this}");

    /// <summary>A refusal page: its status and the API's result code.</summary>
    public void AssertRefused(HttpStatusCode status, ResultCode code)
    {
        AssertStatus(status);
        Assert.Contains($"<code>{code.Code}</code>", Html, StringComparison.Ordinal);
    }

    public override string ToString() => $"HTTP {(int)Status}{(Location is null ? "" : " -> " + Location)} {(Html.Length > 600 ? Html[..600] + "…" : Html)}";

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();
}
