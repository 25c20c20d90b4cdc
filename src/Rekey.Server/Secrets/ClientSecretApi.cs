using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>
/// The reason Rekey exists: update a client's secret to a caller-chosen value, or refresh it to a generated one;
/// plus the Rekey extensions to list a client's secrets and revoke a previous one.
/// </summary>
internal static class ClientSecretApi
{
    private const string ExtensionTag = "Rekey extensions";

    public static RouteGroupBuilder MapClientSecrets(this RouteGroupBuilder api)
    {
        api.MapPost("/{serviceId}/client/secret/update/{clientIdentifier}", UpdateAsync).RequirePermission(Permissions.ClientSecretWrite).Audited(AuditActions.SecretUpdate)
            .Documented<ClientSecretResponse>("client_secret_update_api", "Update the client secret to the given value (JSON or form). Rekey extension: optional gracePeriod (seconds).", 200,
                ResultCodes.SecretUpdated, ResultCodes.SecretMissing, ResultCodes.SecretNotString, ResultCodes.SecretEmpty, ResultCodes.SecretTooLong,
                ResultCodes.SecretIllegalCharacter, ResultCodes.InvalidGracePeriod, ResultCodes.RepeatedFormField, ResultCodes.MalformedJson, ResultCodes.BodyNotObject,
                ResultCodes.MissingBody, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge, ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound,
                ResultCodes.StoredSecretUnreadable);
        api.MapGet("/{serviceId}/client/secret/refresh/{clientIdentifier}", RefreshAsync).RequirePermission(Permissions.ClientSecretWrite).Audited(AuditActions.SecretRefresh)
            .Documented<ClientSecretResponse>("client_secret_refresh_api", "Replace the client secret with 64 random bytes, base64url (86 characters). Rekey extension: ?gracePeriod= (seconds).", 200,
                ResultCodes.SecretRefreshed, ResultCodes.InvalidGracePeriod, ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound, ResultCodes.StoredSecretUnreadable);
        api.MapGet("/{serviceId}/client/secret/list/{clientIdentifier}", ListAsync).RequirePermission(Permissions.ClientRead)
            .Documented<ClientSecretListResponse>("client_secret_list_api", "Rekey extension: every kept secret of the client with status and times, never the value.", 200,
                ResultCodes.SecretsListed, ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound)
            .WithTags(ExtensionTag);
        api.MapDelete("/{serviceId}/client/secret/delete/{clientIdentifier}/{secretId}", RevokeAsync).RequirePermission(Permissions.ClientSecretWrite).Audited(AuditActions.SecretRevoke)
            .Documented<ResultResponse>("client_secret_delete_api", "Rekey extension: revoke a previous secret now (ends its grace period).", 200,
                ResultCodes.SecretRevoked, ResultCodes.CannotRevokeCurrentSecret, ResultCodes.SecretNotFound, ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound)
            .WithTags(ExtensionTag);
        return api;
    }

    private static async Task<IResult> UpdateAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options,
        ILoggerFactory loggers, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.ClientSecretUpdateRequest, required: true, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error) || !ReadSecret(json).IsOk(out var secret, out error) || !ReadGracePeriod(json["gracePeriod"]).IsOk(out var grace, out error))
        {
            return await changes.RefuseAsync(http, change, error, sid);
        }

        var request = new SecretRotationRequest(sid, clientIdentifier, secret, grace);
        return await RotateAsync(http, store, changes, loggers, change, request, ResultCodes.SecretUpdated, ct);
    }

    private static async Task<IResult> RefreshAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes, ILoggerFactory loggers, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var query = http.Request.Query["gracePeriod"];
        var node = query.Count == 0 ? null : long.TryParse(query[0], NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? JsonValue.Create(g) : JsonValue.Create(query[0]);
        if (query.Count > 1 || !ReadGracePeriod(node).IsOk(out var grace, out var error))
        {
            return await changes.RefuseAsync(http, change, RuleViolation.Of(ResultCodes.InvalidGracePeriod, SecretPolicy.MaxGracePeriodSeconds), sid);
        }

        var request = new SecretRotationRequest(sid, clientIdentifier, NewSecret: null, grace);
        return await RotateAsync(http, store, changes, loggers, change, request, ResultCodes.SecretRefreshed, ct);
    }

    /// <summary>Missing, not a string, then the rules of <see cref="ClientSecretRules"/>: each with its own code.</summary>
    internal static Outcome<string> ReadSecret(JsonObject body)
    {
        if (!body.TryGetPropertyValue("clientSecret", out var node))
        {
            return RuleViolation.Of(ResultCodes.SecretMissing);
        }

        if (node?.GetValueKind() is not JsonValueKind.String)
        {
            return RuleViolation.Of(ResultCodes.SecretNotString);
        }

        var secret = node.GetValue<string>();
        return ClientSecretRules.Check(secret) is { } violation ? violation : secret;
    }

    /// <summary>Optional (null when absent); a non-negative integer of seconds up to <see cref="SecretPolicy.MaxGracePeriodSeconds"/>. Form fields arrive as strings.</summary>
    private static Outcome<long?> ReadGracePeriod(JsonNode? node)
    {
        if (node is null)
        {
            return (long?)null;
        }

        long seconds = -1;
        var ok = node.GetValueKind() switch
        {
            JsonValueKind.Number => node.AsValue().TryGetValue(out seconds),
            JsonValueKind.String => long.TryParse(node.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out seconds),
            _ => false,
        };
        return ok && seconds is >= 0 and <= SecretPolicy.MaxGracePeriodSeconds
            ? seconds
            : RuleViolation.Of(ResultCodes.InvalidGracePeriod, SecretPolicy.MaxGracePeriodSeconds);
    }

    private static async Task<IResult> RotateAsync(HttpContext http, IRekeyStore store, Changes changes, ILoggerFactory loggers, ChangeContext change,
        SecretRotationRequest request, ResultCode success, CancellationToken ct)
    {
        var rotated = await store.RotateSecretAsync(request, change, ct);
        if (!rotated.IsOk(out var rotation, out var error))
        {
            return await changes.RefuseAsync(http, change, error, request.ServiceId);
        }

        Log.SecretChanged(loggers.CreateLogger("Rekey.Server.Secrets"), change.Action, rotation.ClientId, request.ServiceId);
        return Results.Json(new ClientSecretResponse
        {
            ResultCode = success.Code,
            ResultMessage = success.Format(rotation.ClientId),
            NewClientSecret = rotation.NewSecret,
            OldClientSecret = rotation.OldSecret,
        }, WireJson.Context.ClientSecretResponse);
    }

    private static async Task<IResult> ListAsync(string clientIdentifier, HttpContext http, IRekeyStore store, TimeProvider time, CancellationToken ct)
    {
        var listed = await store.ListSecretsAsync(http.GetServiceId(), clientIdentifier, ct);
        if (!listed.IsOk(out var secrets, out var error))
        {
            return AuthleteResults.Error(error);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return Results.Json(new ClientSecretListResponse
        {
            ResultCode = ResultCodes.SecretsListed.Code,
            ResultMessage = ResultCodes.SecretsListed.Format(secrets.ClientId),
            ClientId = secrets.ClientId,
            Secrets = secrets.Secrets.Select(s => new ClientSecretInfo
            {
                SecretId = s.SecretId,
                Status = SecretPolicy.Status(s.State, s.ExpiresAt, s.ValidUntil, now),
                CreatedAt = s.CreatedAt,
                ExpiresAt = s.ExpiresAt,
                ValidUntil = s.State == SecretPolicy.StatePrevious ? s.ValidUntil : null,
                RevokedAt = s.RevokedAt,
                LastUsedAt = s.LastUsedAt,
                Hint = s.Hint,
            }).ToList(),
        }, WireJson.Context.ClientSecretListResponse);
    }

    private static async Task<JsonHttpResult<ResultResponse>> RevokeAsync(string clientIdentifier, string secretId, HttpContext http, IRekeyStore store, Changes changes,
        CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!RouteIds.TryParse(secretId, out var id))
        {
            return await changes.RefuseAsync(http, change, RuleViolation.Of(ResultCodes.SecretNotFound, secretId, clientIdentifier), sid);
        }

        var revoked = await store.RevokeSecretAsync(sid, clientIdentifier, id, change, ct);
        return revoked.IsOk(out var clientId, out var error)
            ? AuthleteResults.Ok(ResultCodes.SecretRevoked, id, clientId)
            : await changes.RefuseAsync(http, change, error, sid);
    }
}
