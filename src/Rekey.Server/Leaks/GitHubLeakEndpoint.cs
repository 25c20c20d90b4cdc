using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Leaks;

/// <summary>
/// GitHub's secret-scanning partner endpoint, <c>POST /leaks/github</c>: no bearer token, the body's ECDSA signature
/// instead. A report whose signature does not verify under a configured key is refused before anything is read from it
/// (401, nothing looked up, nothing changed). A signed report is a JSON array of <c>{token, type, url, source}</c>; each
/// token is looked up in every service and acted on by its service's <c>leakResponse</c>, in one transaction; the answer
/// is GitHub's feedback format, one entry per token, <c>true_positive</c> for a live secret. A report seen before (the
/// same signed bytes) is answered as it was and changes nothing: GitHub's signature has no timestamp, so a replay would
/// otherwise be indistinguishable from a new report.
/// </summary>
internal static class GitHubLeakEndpoint
{
    public const string KeyIdHeader = "Github-Public-Key-Identifier";
    public const string SignatureHeader = "Github-Public-Key-Signature";

    /// <summary>The largest report read: up to <see cref="GitHubLeaksOptions.MaxMatches"/> matches of a few hundred bytes each.</summary>
    private const int BytesPerMatch = 4096;

    public static WebApplication MapGitHubLeaks(this WebApplication app)
    {
        app.MapPost("/leaks/github", ReceiveAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> ReceiveAsync(HttpContext http, GitHubKeys keys, IRekeyStore store, IOptions<RekeyOptions> options, TimeProvider time,
        ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("Rekey.Server.Leaks");
        if (!keys.Enabled)
        {
            return AuthleteResults.Error(ResultCodes.GitHubReportsOff);
        }

        var settings = options.Value.Leaks.GitHub;
        var limit = settings.MaxMatches * BytesPerMatch;
        var body = await RequestBody.ReadBytesAsync(http.Request, limit, ct);
        if (body is null)
        {
            return AuthleteResults.Error(ResultCodes.BodyTooLarge, limit);
        }

        var keyId = http.Request.Headers[KeyIdHeader].ToString();
        var signature = http.Request.Headers[SignatureHeader].ToString();
        if (keyId.Length == 0 || signature.Length == 0 || !keys.Verify(keyId, signature, body))
        {
            Log.GitHubReportRefused(logger, keyId.Length == 0 || signature.Length == 0 ? "unsigned" : $"no configured key '{UntrustedText.Printable(keyId, 80)}' verifies the signature");
            return AuthleteResults.Error(ResultCodes.GitHubSignatureInvalid);
        }

        if (http.Request.ContentType is { } contentType && !RequestBody.IsJsonContentType(contentType))
        {
            return AuthleteResults.Error(ResultCodes.UnsupportedContentType, UntrustedText.Printable(contentType, 100));
        }

        if (Parse(body, settings.MaxMatches) is not { } reported)
        {
            return AuthleteResults.Error(ResultCodes.GitHubReportMalformed, settings.MaxMatches);
        }

        var change = new ChangeContext(AuditActions.SecretLeak, time.GetUtcNow().ToUnixTimeMilliseconds(), Caller.GitHubKind, null,
            http.Connection.RemoteIpAddress?.ToString(), http.TraceIdentifier);
        var batch = new LeakBatch(null, [.. reported.Select(m => new LeakItem(m.Token!, m.Url, m.Source))], SHA256.HashData(body));
        var result = await store.ReportLeaksAsync(batch, change, ct);

        var matched = result.Found.Count(f => f);
        LeakApi.LogMatches(logger, result.Matches, "GitHub", item => reported[item].Url);
        Log.LeakReportReceived(logger, "GitHub", reported.Count, matched, result.Replayed ? " (a replay: nothing was done again)" : "");
        Telemetry.RekeyMetrics.LeaksReported("github", matched, reported.Count - matched, result.Replayed);
        var feedback = reported.Select((m, i) => new GitHubLeakFeedback
        {
            TokenRaw = m.Token!,
            TokenType = m.Type ?? LeakApi.GitHubTokenType,
            Label = result.Found[i] ? "true_positive" : "false_positive",
        }).ToList();
        return Results.Json(feedback, WireJson.Context.ListGitHubLeakFeedback);
    }

    /// <summary>GitHub's report: a JSON array of 1 to <paramref name="max"/> objects, each with a string <c>token</c>; or null.</summary>
    private static List<GitHubLeakMatch>? Parse(byte[] body, int max)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Array || document.RootElement.GetArrayLength() is 0 || document.RootElement.GetArrayLength() > max)
            {
                return null;
            }

            var matches = new List<GitHubLeakMatch>();
            foreach (var element in document.RootElement.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("token", out var token) || token.ValueKind != JsonValueKind.String)
                {
                    return null;
                }

                matches.Add(new GitHubLeakMatch
                {
                    Token = token.GetString(),
                    Type = Text(element, "type", 200),
                    Url = Text(element, "url", LeakItem.MaxUrlLength),
                    Source = Text(element, "source", 100),
                });
            }

            return matches;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>An optional string member, kept printable and cut: it reaches the audit trail, the log and webhook payloads.</summary>
    private static string? Text(JsonElement element, string name, int max) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? UntrustedText.Printable(text, max)
            : null;
}
