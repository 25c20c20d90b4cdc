using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Rekey.Server.Hosting;
using Rekey.Server.OAuth;

namespace Rekey.Server.Console;

/// <summary>Sign-in model: where to go afterwards, a refusal to show, and the pre-session antiforgery value.</summary>
public sealed record SignInModel(Page Layout, string Next, string? Problem, string Csrf);

/// <summary>
/// The console at <c>/console</c> (docs/console.md): server-rendered pages over the same rules and store operations
/// as /api, behind <see cref="ConsoleAuth"/>. Off with <c>Rekey:Console:Enabled=false</c>.
/// </summary>
internal static class ConsoleEndpoints
{
    /// <summary>The cookie that carries the sign-in form's antiforgery value before there is a session (double submit).</summary>
    private const string SignInCookie = "rekey-console-signin";

    /// <summary>The console's failures share the token endpoint's limiter, under a service ID no service has.</summary>
    private const long LimiterService = 0;

    public static WebApplication MapConsole(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<RekeyOptions>>().Value.Console.Enabled)
        {
            return app;
        }

        app.MapGet("/console/static/{file}", ConsolePages.Asset).ExcludeFromDescription();
        app.MapGet("/console/signin", SignInPage).ExcludeFromDescription();
        app.MapPost("/console/signin", SignInAsync).ExcludeFromDescription().DisableAntiforgery();

        var console = app.MapGroup("/console").AddEndpointFilter<ConsoleAuth>().ExcludeFromDescription().DisableAntiforgery();
        // One route for /console and /console/: routing ignores a trailing slash, so a second one made both ambiguous (500).
        console.MapGet("", () => Results.Redirect("/console/services"));
        console.MapPost("/signout", SignOutAsync);
        console.MapServicePages();
        console.MapClientPages();
        console.MapAuditPages();
        console.MapWebhookPages();
        console.MapTokenPages();
        console.MapKeyPages();
        return app;
    }

    private static IResult SignInPage(HttpContext http, string? next) => RenderSignIn(http, next, problem: null, StatusCodes.Status200OK);

    private static IResult RenderSignIn(HttpContext http, string? next, string? problem, int status)
    {
        var csrf = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        http.Response.Cookies.Append(SignInCookie, csrf, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/console/signin",
            IsEssential = true,
        });
        return Results.RazorSlice<Slices.SignIn, SignInModel>(new SignInModel(new Page("Sign in"), SafeNext(next), problem, csrf), status);
    }

    /// <summary>Only a path of the console itself: never another site (an open redirect).</summary>
    private static string SafeNext(string? next) =>
        next is { Length: > 0 and < 2000 } && next.StartsWith("/console/", StringComparison.Ordinal) && !next.StartsWith("/console//", StringComparison.Ordinal)
            && !next.Contains('\\', StringComparison.Ordinal) ? next : "/console/services";

    private static async Task<IResult> SignInAsync(HttpContext http, ConsoleSessions sessions, FailedAuthLimiter limiter)
    {
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : FormCollection.Empty;
        var next = form["next"].ToString();
        var expected = http.Request.Cookies[SignInCookie];
        if (expected is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(form[ConsoleAuth.CsrfField].ToString())))
        {
            return RenderSignIn(http, next, "The sign-in form expired. Try again.", StatusCodes.Status400BadRequest);
        }

        var budget = limiter.Begin(LimiterService, "console", http.Connection.RemoteIpAddress?.ToString() ?? "");
        if (budget.RetryAfter() is { } wait)
        {
            http.Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return RenderSignIn(http, next, $"Too many failed sign-ins from this address. Try again in {wait} seconds.", StatusCodes.Status429TooManyRequests);
        }

        var token = form["token"].ToString().Trim();
        if (token.Length == 0 || token.Length > 512 || !await sessions.SignInAsync(http, token))
        {
            budget.RecordFailure(null);
            return RenderSignIn(http, next, "That access token is not valid.", StatusCodes.Status401Unauthorized);
        }

        http.Response.Cookies.Delete(SignInCookie, new CookieOptions { Path = "/console/signin" });
        return Results.Redirect(SafeNext(next));
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, ConsoleSessions sessions)
    {
        await sessions.SignOutAsync(http);
        return Results.Redirect("/console/signin");
    }
}
