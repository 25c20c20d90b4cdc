using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Server.Leaks;

/// <summary>
/// Leak reports through /api (Rekey extension): a value found somewhere is looked up among the live secrets of one service
/// (or, with the organisation token, of every service) and the owning service's <c>leakResponse</c> is applied; and the
/// description of the identifiable secret format that scanners and offline checks use.
/// </summary>
internal static class LeakApi
{
    private const string Tag = "Rekey extensions";

    private static readonly ResultCode[] BodyCodes =
    [
        ResultCodes.SecretMissing, ResultCodes.SecretNotString, ResultCodes.SecretEmpty, ResultCodes.SecretTooLong, ResultCodes.SecretIllegalCharacter,
        ResultCodes.InvalidLeakUrl, ResultCodes.RepeatedFormField, ResultCodes.MalformedJson, ResultCodes.BodyNotObject, ResultCodes.MissingBody,
        ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge,
    ];

    /// <summary>The token type to register with GitHub for these secrets, answered in GitHub's feedback as reported.</summary>
    public const string GitHubTokenType = "rekey_client_secret";

    public static RouteGroupBuilder MapLeaks(this RouteGroupBuilder api)
    {
        api.MapPost("/{serviceId}/client/secret/leak", ReportAsync).RequirePermission(Permissions.ClientSecretLeak).Audited(AuditActions.SecretLeak)
            .Documented<SecretLeakResponse>("client_secret_leak_api",
                "Report a value found outside (a repository, a log, a ticket): if it is a live secret of the service, the service's leakResponse is applied. " +
                "With only client.secret.leak the answer is A152002 whether or not it was.", 200,
                [ResultCodes.LeakActedOn, ResultCodes.LeakReceived, ResultCodes.LeakNoMatch, ResultCodes.ServiceNotFound, .. BodyCodes])
            .WithTags(Tag);
        api.MapPost("/client/secret/leak", ReportAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.SecretLeak)
            .Documented<SecretLeakResponse>("client_secret_leak_any_api",
                "Organisation token: the same report, looked up in every service, each match answered by its own service's leakResponse.", 200,
                [ResultCodes.LeakActedOn, ResultCodes.LeakNoMatch, .. BodyCodes])
            .WithTags(Tag);
        api.MapGet("/secret-format", Format)
            .Documented<SecretFormatResponse>("secret_format_api", "The IDENTIFIABLE secret format of this deployment: prefix, length, regular expressions, checksum.", 200,
                ResultCodes.SecretFormatDescribed)
            .WithTags(Tag);
        return api;
    }

    private static async Task<IResult> ReportAsync(HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, ILoggerFactory loggers,
        CancellationToken ct)
    {
        long? serviceId = http.Request.RouteValues.ContainsKey("serviceId") ? http.GetServiceId() : null;
        var change = changes.For(http);
        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.SecretLeakRequest, required: true, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error) || !ClientSecretApi.ReadSecret(json).IsOk(out var secret, out error) || !ReadUrl(json["url"]).IsOk(out var url, out error))
        {
            return await changes.RefuseAsync(http, change, error, serviceId);
        }

        var caller = http.GetCaller();
        var result = await store.ReportLeaksAsync(new LeakBatch(serviceId, [new LeakItem(secret, url, "api")]), change, ct);
        var logger = loggers.CreateLogger("Rekey.Server.Leaks");
        var reporter = caller.IsOrganisation ? "the organisation token" : $"API token {caller.TokenId}";
        LogMatches(logger, result.Matches, reporter, _ => url);
        Log.LeakReportReceived(logger, reporter, 1, result.Matches.Count > 0 ? 1 : 0, "");
        Telemetry.RekeyMetrics.LeaksReported("api", result.Matches.Count > 0 ? 1 : 0, result.Matches.Count > 0 ? 0 : 1, replayed: false);
        if (result.Matches.Count == 0)
        {
            // Nothing changed, but the report is on the record, like a refused change (outcome A152003).
            await store.AppendAuditAsync(new AuditRecord(change, serviceId, null, null, ResultCodes.LeakNoMatch.Code,
                url is null ? null : UntrustedText.Printable(url, 200)), ct);
        }

        // A caller that may replace secrets learns what happened; one that may only report does not learn whether the value
        // was a secret: the same answer either way.
        if (!caller.Has(Permissions.ClientSecretWrite))
        {
            return Results.Json(new SecretLeakResponse { ResultCode = ResultCodes.LeakReceived.Code, ResultMessage = ResultCodes.LeakReceived.Format() },
                WireJson.Context.SecretLeakResponse);
        }

        var code = result.Matches.Count > 0 ? ResultCodes.LeakActedOn : ResultCodes.LeakNoMatch;
        return Results.Json(new SecretLeakResponse
        {
            ResultCode = code.Code,
            ResultMessage = code.Format(result.Matches.Select(m => m.ClientId).Distinct().Count()),
            Matches = [.. result.Matches.Select(Present)],
        }, WireJson.Context.SecretLeakResponse);
    }

    /// <summary>Optional: a string of at most <see cref="LeakItem.MaxUrlLength"/> characters without control characters.</summary>
    private static Outcome<string?> ReadUrl(JsonNode? node)
    {
        if (node is null)
        {
            return (string?)null;
        }

        return node.GetValueKind() == JsonValueKind.String && node.GetValue<string>() is { Length: <= LeakItem.MaxUrlLength } url && !UntrustedText.HasControlCharacter(url)
            ? url.Length == 0 ? null : url
            : RuleViolation.Of(ResultCodes.InvalidLeakUrl, LeakItem.MaxUrlLength);
    }

    private static SecretLeakMatch Present(LeakMatch m) => new()
    {
        ServiceId = m.ServiceId,
        ClientId = m.ClientId,
        SecretId = m.SecretId,
        Status = m.Status,
        Response = m.Response,
        ReplacementSecretId = m.ReplacementSecretId,
        ClientLocked = m.ClientLocked,
    };

    /// <summary>One warning per matched secret, with where the value was found (<paramref name="urlOf"/> the reported item's URL).</summary>
    public static void LogMatches(ILogger logger, IEnumerable<LeakMatch> matches, string reporter, Func<int, string?> urlOf)
    {
        foreach (var m in matches)
        {
            Log.SecretLeaked(logger, m.SecretId, m.ClientId, m.ServiceId, m.Status, reporter, m.Response, urlOf(m.Item) is { } url ? UntrustedText.Printable(url) : "(no URL)");
        }
    }

    private static IResult Format(IOptions<RekeyOptions> options)
    {
        var prefix = options.Value.Leaks.SecretPrefix;
        return Results.Json(new SecretFormatResponse
        {
            ResultCode = ResultCodes.SecretFormatDescribed.Code,
            ResultMessage = ResultCodes.SecretFormatDescribed.Format(prefix),
            Format = SecretFormats.Identifiable,
            Prefix = prefix,
            Length = IdentifiableSecret.Length(prefix),
            Regex = IdentifiableSecret.Pattern(prefix),
            PlainRegex = IdentifiableSecret.PlainPattern(prefix),
            Checksum = "CRC-32 (IEEE 802.3) of the ASCII prefix and body, as a big-endian base62 number (0-9A-Za-z) of 6 characters",
            TokenType = GitHubTokenType,
        }, WireJson.Context.SecretFormatResponse);
    }
}
