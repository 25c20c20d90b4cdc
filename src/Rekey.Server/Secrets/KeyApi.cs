using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>
/// Rekey extension (organisation token): rotate the data encryption key and re-encrypt every stored value under
/// it. Re-encryption runs in batches of <see cref="BatchSize"/>, one short transaction each, so the server keeps
/// serving; an interrupted rotation is resumed by calling the endpoint again (values under older keys remain
/// readable throughout).
/// </summary>
internal static class KeyApi
{
    public const int BatchSize = 500;

    public static RouteGroupBuilder MapKeys(this RouteGroupBuilder api)
    {
        api.MapPost("/keys/rotate", RotateAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.KeyRotate)
            .Documented<DataKeysResponse>("keys_rotate_api", "Rekey extension: add a data key and re-encrypt every stored value under it (resumable).", 200, ResultCodes.DataKeyRotated)
            .WithTags("Rekey extensions");
        api.MapPost("/keys/reencrypt", ReencryptAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.KeyReencrypt)
            .Documented<DataKeysResponse>("keys_reencrypt_api", "Rekey extension: finish an interrupted rotation (re-encrypt what is still under older keys).", 200, ResultCodes.DataKeyReencrypted)
            .WithTags("Rekey extensions");
        api.MapPost("/{serviceId}/signing_key/rotate", RotateSigningKeyAsync).RequirePermission(Permissions.ServiceWrite).Audited(AuditActions.SigningKeyRotate)
            .Documented<ResultResponse>("signing_key_rotate_api", "Rekey extension: new ES256 key for the service's access tokens; the previous key stays in the JWKS.", 200,
                ResultCodes.SigningKeyRotated, ResultCodes.ServiceNotFound)
            .WithTags("Rekey extensions");
        api.MapGet("/keys/get/list", ListAsync).RequirePermission(Permissions.Admin)
            .Documented<DataKeysResponse>("keys_get_list_api", "Rekey extension: the data keys and how many stored values each seals.", 200, ResultCodes.DataKeysListed)
            .WithTags("Rekey extensions");
        return api;
    }

    private static async Task<IResult> RotateAsync(HttpContext http, IRekeyStore store, CancellationToken ct)
    {
        var keyId = await store.AddDataKeyAsync(Changes.For(http), ct);
        return await FinishAsync(store, keyId, ResultCodes.DataKeyRotated, ct);
    }

    private static async Task<IResult> RotateSigningKeyAsync(string serviceId, HttpContext http, OAuth.SigningKeys keys, CancellationToken ct)
    {
        if (!RouteIds.TryParse(serviceId, out var sid))
        {
            return AuthleteResults.Error(ResultCodes.ServiceNotFound, serviceId);
        }

        var change = Changes.For(http);
        var rotated = await keys.RotateAsync(sid, change, ct);
        return rotated.IsOk(out var keyId, out var error)
            ? AuthleteResults.Ok(ResultCodes.SigningKeyRotated, sid, keyId)
            : await Changes.RefuseAsync(http, change, error, sid);
    }

    private static async Task<IResult> ReencryptAsync(HttpContext http, IRekeyStore store, CancellationToken ct)
    {
        var change = Changes.For(http);
        await store.RefreshDataKeysAsync(ct);
        var keys = await store.ListDataKeysAsync(ct);
        var result = await FinishAsync(store, keys[0].KeyId, ResultCodes.DataKeyReencrypted, ct);
        // Re-encryption spans many short transactions; its audit event records that it completed.
        await store.AppendAuditAsync(new AuditRecord(change, null, null, null, "success", keys[0].KeyId), ct);
        return result;
    }

    private static async Task<IResult> FinishAsync(IRekeyStore store, string keyId, ResultCode code, CancellationToken ct)
    {
        long total = 0;
        int done;
        while ((done = await store.ReencryptBatchAsync(BatchSize, ct)) > 0)
        {
            total += done;
        }

        var keys = await store.ListDataKeysAsync(ct);
        var remaining = keys.Where(k => k.KeyId != keyId).Sum(k => k.Values);
        return Results.Json(Response(code.Code, code.Format(keyId, total, remaining), keys, keyId, total),
            RekeyJsonContext.Default.DataKeysResponse);
    }

    private static async Task<IResult> ListAsync(IRekeyStore store, SecretCipher cipher, CancellationToken ct)
    {
        var keys = await store.ListDataKeysAsync(ct);
        return Results.Json(Response(ResultCodes.DataKeysListed.Code, ResultCodes.DataKeysListed.Format(keys.Count), keys, cipher.CurrentKeyId, null),
            RekeyJsonContext.Default.DataKeysResponse);
    }

    private static DataKeysResponse Response(string code, string message, IReadOnlyList<DataKeyUsage> keys, string? current, long? reencrypted) => new()
    {
        ResultCode = code,
        ResultMessage = message,
        Reencrypted = reencrypted,
        Keys = keys.Select(k => new DataKeyInfo { KeyId = k.KeyId, CreatedAt = k.CreatedAt, Current = k.KeyId == current, Values = k.Values }).ToList(),
    };
}
