using System.Globalization;
using System.Reflection;
using Microsoft.Net.Http.Headers;
using Rekey.Contracts;
using Rekey.Server.Auth;
using Rekey.Server.Services;
using Rekey.Server.Storage;

namespace Rekey.Server.Console;

/// <summary>
/// What every page's layout needs: its title, the operator (for the navigation, and to offer only what their token
/// may do), the current service, a notice or an error to show, and the form's antiforgery secret. Public, as every
/// model of a page is: the pages are compiled to public classes.
/// </summary>
public sealed record Page(string Title)
{
    public string Section { get; init; } = "";

    public long? ServiceId { get; init; }

    public string? ServiceName { get; init; }

    /// <summary>What a successful action did (shown in a status region).</summary>
    public string? Notice { get; init; }

    /// <summary>Why an action was refused: the API's result code and message.</summary>
    public RuleViolation? Error { get; init; }

    /// <summary>Whether someone is signed in (the sign-in page has no navigation).</summary>
    public bool SignedIn { get; init; }

    public bool IsOrganisation { get; init; }

    public string Csrf { get; init; } = "";

    public string Who { get; init; } = "";

    /// <summary>The permissions of the token that signed in (the organisation's: every one).</summary>
    public IReadOnlySet<string> Permissions { get; init; } = new HashSet<string>();

    /// <summary>The same answer as <see cref="Auth.Caller.Has"/>: the organisation may do everything, an API token what it was given (never admin).</summary>
    public bool Can(string permission) => IsOrganisation || (permission != Contracts.Permissions.Admin && Permissions.Contains(permission));

    public override string ToString() => $"Page {{ Title = {Title} }}";

    public static Page For(HttpContext http, string title, string section, long? serviceId = null)
    {
        var user = ConsoleSessions.UserOf(http);
        return new Page(title)
        {
            Section = section,
            ServiceId = serviceId,
            SignedIn = user is not null,
            IsOrganisation = user?.Caller.IsOrganisation == true,
            Csrf = user?.Csrf ?? "",
            Permissions = user?.Caller.Permissions ?? new HashSet<string>(),
            Who = user?.Caller switch
            {
                null => "",
                { IsOrganisation: true } => "Organisation token",
                var c => $"API token {c.TokenId} · service {c.ServiceId}",
            },
        };
    }
}

/// <summary>A page that only says something (a refusal, an expired form, a missing thing).</summary>
public sealed record MessageModel(Page Layout, string Heading, string Text, string? Code);

/// <summary>Rendering helpers shared by the console's endpoints.</summary>
internal static class ConsolePages
{
    public static IResult Message(HttpContext http, string heading, string text, int status, string? code = null) =>
        Results.RazorSlice<Slices.Message, MessageModel>(new MessageModel(Page.For(http, heading, ""), heading, text, code), status);

    /// <summary>The layout of a page inside the route's service, with the service's name for its navigation (none when it no longer exists).</summary>
    public static async Task<Page> ServicePageAsync(HttpContext http, IRekeyStore store, string title, string section, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var service = await store.GetServiceAsync(sid, ct);
        return Page.For(http, title, section, sid) with { ServiceName = service is null ? null : ServiceRules.Present(service).ServiceName };
    }

    /// <summary>A refusal of the rules, as /api would answer it: the same result code and message, as a page.</summary>
    public static IResult Refused(HttpContext http, RuleViolation error) =>
        Message(http, error.Code.HttpStatus switch { 403 => "Not allowed", 404 => "Not found", _ => "Refused" }, error.Message, error.Code.HttpStatus, error.Code.Code);

    /// <summary>Epoch milliseconds as an ISO 8601 UTC time for a &lt;time datetime&gt;.</summary>
    public static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Epoch milliseconds as the operator reads them (UTC; the script shows local time where it runs).</summary>
    public static string When(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A duration as a person says it: "3 d 4 h", "12 min", "45 s".</summary>
    public static string Span(long ms)
    {
        var t = TimeSpan.FromMilliseconds(Math.Abs(ms));
        return t.TotalDays >= 1 ? $"{(int)t.TotalDays} d {t.Hours} h" : t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes} min" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes} min" : $"{t.Seconds} s";
    }

    // ---- static assets --------------------------------------------------------------------------------

    private static readonly Dictionary<string, (byte[] Body, string Type, string ETag)> Assets = LoadAssets();

    private static Dictionary<string, (byte[] Body, string Type, string ETag)> LoadAssets()
    {
        var assembly = typeof(ConsolePages).Assembly;
        var assets = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Rekey.Console.", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var file = name["Rekey.Console.".Length..];
            var type = file.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8"
                : file.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript; charset=utf-8"
                : file.EndsWith(".svg", StringComparison.Ordinal) ? "image/svg+xml" : "application/octet-stream";
            var bytes = buffer.ToArray();
            assets[file] = (bytes, type, "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16] + "\"");
        }

        return assets;
    }

    /// <summary>The version a page links an asset with (its hash), so that a new release is fetched at once.</summary>
    public static string AssetUrl(string file) => $"/console/static/{file}?v={Assets[file].ETag.Trim('"')}";

    public static IResult Asset(string file, HttpContext http)
    {
        if (!Assets.TryGetValue(file, out var asset))
        {
            return Results.NotFound();
        }

        http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        http.Response.Headers.ETag = asset.ETag;
        return http.Request.Headers[HeaderNames.IfNoneMatch] == asset.ETag ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Bytes(asset.Body, asset.Type);
    }
}
