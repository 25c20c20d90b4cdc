using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Storage;

namespace Rekey.Server.Console;

/// <summary>A signed-in operator: who they are to the rules (the same <see cref="Caller"/> /api would resolve) and their session's antiforgery secret.</summary>
internal sealed record ConsoleUser(Caller Caller, string Csrf, string SessionHash)
{
    public override string ToString() => $"ConsoleUser {{ Kind = {Caller.Kind}, TokenId = {Caller.TokenId} }}";
}

/// <summary>
/// Console sessions, kept in the database so that every node knows them and signing out ends one everywhere. The
/// browser holds only a random session ID in an HttpOnly, SameSite=Strict cookie (Secure, and <c>__Host-</c>, over
/// https); the database holds its SHA-256, the SHA-256 of the token that signed in — never the token, so nothing the
/// browser or the database holds can be replayed as a bearer token against /api — and the session's antiforgery
/// secret. Each request resolves the token's hash again as /api resolves a bearer token: a deleted API token ends
/// its sessions at once. Sessions end after <see cref="ConsoleOptions.IdleTimeout"/> unused or
/// <see cref="ConsoleOptions.AbsoluteTimeout"/> after sign-in.
/// </summary>
internal sealed class ConsoleSessions(IRekeyStore store, AdminToken adminToken, IOptions<RekeyOptions> options, TimeProvider time)
{
    public const string SecureCookie = "__Host-rekey-console";
    public const string PlainCookie = "rekey-console";

    /// <summary>How stale a session's last-seen time may get before a request writes it (one write a minute, not one per page).</summary>
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);

    private static readonly object UserKey = new();

    private ConsoleOptions Options => options.Value.Console;

    private static string CookieName(HttpRequest request) => request.IsHttps ? SecureCookie : PlainCookie;

    public static ConsoleUser? UserOf(HttpContext http) => http.Items[UserKey] as ConsoleUser;

    /// <summary>Starts a session for whoever <paramref name="token"/> names; false (nothing stored) when it names no one.</summary>
    public async Task<bool> SignInAsync(HttpContext http, string token)
    {
        var tokenHash = TokenHash.Of(token);
        if (await ApiAuth.ResolveAsync(adminToken, store, tokenHash, http.RequestAborted) is null)
        {
            return false;
        }

        var sessionId = Base64Url(RandomNumberGenerator.GetBytes(32));
        await store.CreateConsoleSessionAsync(HashOf(sessionId), tokenHash, Base64Url(RandomNumberGenerator.GetBytes(32)), time.GetUtcNow().ToUnixTimeMilliseconds(),
            http.RequestAborted);
        http.Response.Cookies.Append(CookieName(http.Request), sessionId, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/",
            IsEssential = true,
        });
        return true;
    }

    /// <summary>The operator of this request, or null (no session, ended, or its token no longer exists).</summary>
    public async Task<ConsoleUser?> ResolveAsync(HttpContext http)
    {
        if (http.Request.Cookies[CookieName(http.Request)] is not { Length: > 0 and < 100 } sessionId)
        {
            return null;
        }

        var hash = HashOf(sessionId);
        var session = await store.FindConsoleSessionAsync(hash, http.RequestAborted);
        if (session is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (now.ToUnixTimeMilliseconds() - session.SeenAt > Options.IdleTimeout.TotalMilliseconds
            || now.ToUnixTimeMilliseconds() - session.CreatedAt > Options.AbsoluteTimeout.TotalMilliseconds)
        {
            await store.DeleteConsoleSessionAsync(hash, http.RequestAborted);
            return null;
        }

        var caller = await ApiAuth.ResolveAsync(adminToken, store, session.TokenHash, http.RequestAborted);
        if (caller is null)
        {
            await store.DeleteConsoleSessionAsync(hash, http.RequestAborted);
            return null;
        }

        if (now.ToUnixTimeMilliseconds() - session.SeenAt > TouchEvery.TotalMilliseconds)
        {
            await store.TouchConsoleSessionAsync(hash, now.ToUnixTimeMilliseconds(), http.RequestAborted);
        }

        var user = new ConsoleUser(caller, session.Csrf, hash);
        http.Items[UserKey] = user;
        http.Items[ApiAuth.CallerKey] = caller;
        return user;
    }

    public async Task SignOutAsync(HttpContext http)
    {
        if (UserOf(http) is { } user)
        {
            await store.DeleteConsoleSessionAsync(user.SessionHash, http.RequestAborted);
        }

        http.Response.Cookies.Delete(CookieName(http.Request), new CookieOptions { Path = "/", Secure = http.Request.IsHttps, SameSite = SameSiteMode.Strict, HttpOnly = true });
    }

    /// <summary>Whether a form carries the session's antiforgery secret (compared in constant time).</summary>
    public static bool CsrfMatches(ConsoleUser user, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(user.Csrf));

    private static string HashOf(string sessionId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sessionId)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
