using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>The reason Rekey exists: update a client's secret to a caller-chosen value, or refresh it to a generated one.</summary>
internal static class ClientSecretApi
{
    public static RouteGroupBuilder MapClientSecrets(this RouteGroupBuilder api)
    {
        api.MapPost("/{serviceId}/client/secret/update/{clientIdentifier}", UpdateAsync).RequirePermission(Permissions.ClientSecretWrite)
            .Documented<ClientSecretResponse>("client_secret_update_api", "Update the client secret to the given value (JSON or form).", 200,
                ResultCodes.SecretUpdated, ResultCodes.SecretMissing, ResultCodes.SecretNotString, ResultCodes.SecretEmpty, ResultCodes.SecretTooLong,
                ResultCodes.SecretIllegalCharacter, ResultCodes.RepeatedFormField, ResultCodes.MalformedJson, ResultCodes.BodyNotObject,
                ResultCodes.MissingBody, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge, ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound);
        api.MapGet("/{serviceId}/client/secret/refresh/{clientIdentifier}", RefreshAsync).RequirePermission(Permissions.ClientSecretWrite)
            .Documented<ClientSecretResponse>("client_secret_refresh_api", "Replace the client secret with 64 random bytes, base64url (86 characters).", 200,
                ResultCodes.SecretRefreshed, ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound);
        return api;
    }

    private static async Task<IResult> UpdateAsync(string serviceId, string clientIdentifier, HttpRequest request, IRekeyStore store, TimeProvider time,
        IOptions<RekeyOptions> options, ILogger<SecretRotation> logger, CancellationToken ct)
    {
        var body = await RequestBody.ReadObjectAsync(request, RekeyJsonContext.Default.ClientSecretUpdateRequest, required: true, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error) || !ReadSecret(json).IsOk(out var secret, out error))
        {
            return AuthleteResults.Error(error);
        }

        return await RotateAsync(serviceId, clientIdentifier, secret, ResultCodes.SecretUpdated, store, time, logger, ct);
    }

    private static Task<IResult> RefreshAsync(string serviceId, string clientIdentifier, IRekeyStore store, TimeProvider time, ILogger<SecretRotation> logger, CancellationToken ct) =>
        RotateAsync(serviceId, clientIdentifier, SecretGenerator.NewClientSecret(), ResultCodes.SecretRefreshed, store, time, logger, ct);

    /// <summary>Missing, not a string, then the rules of <see cref="ClientSecretRules"/>: each with its own code.</summary>
    private static Outcome<string> ReadSecret(JsonObject body)
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

    private static async Task<IResult> RotateAsync(string serviceId, string clientIdentifier, string newSecret, ResultCode success,
        IRekeyStore store, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        if (!RouteIds.TryParse(serviceId, out var sid))
        {
            return AuthleteResults.Error(ResultCodes.ServiceNotFound, serviceId);
        }

        var rotated = await store.RotateSecretAsync(sid, clientIdentifier, newSecret, time.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        if (!rotated.IsOk(out var rotation, out var error))
        {
            return AuthleteResults.Error(error);
        }

        Log.SecretChanged(logger, success == ResultCodes.SecretUpdated ? "updated" : "refreshed", rotation.ClientId, sid);
        return Results.Json(new ClientSecretResponse
        {
            ResultCode = success.Code,
            ResultMessage = success.Format(rotation.ClientId),
            NewClientSecret = rotation.NewSecret,
            OldClientSecret = rotation.OldSecret,
        }, RekeyJsonContext.Default.ClientSecretResponse);
    }
}
