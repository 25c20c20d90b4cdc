using Microsoft.AspNetCore.Http.HttpResults;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>What a re-encryption did: the key everything went under, how many values it re-encrypted, how many remain under others.</summary>
internal readonly record struct Reencryption(string KeyId, long Reencrypted, long Remaining);

/// <summary>
/// Rekey extension (organisation token): rotate the data encryption key and re-encrypt every stored value under
/// it. Re-encryption runs in batches of <see cref="BatchSize"/>, one short transaction each, so the server keeps
/// serving; an interrupted rotation is resumed by calling the endpoint again (values under older keys remain
/// readable throughout). Master keys change in two explicit steps: rewrap (every data key wrapped under every master
/// key configured on this node as well) and retire (an old master key's wrappings deleted) — see <see cref="KeyPlans"/>.
/// </summary>
internal static class KeyApi
{
    public const int BatchSize = 500;

    public static RouteGroupBuilder MapKeys(this RouteGroupBuilder api)
    {
        api.MapPost("/keys/rotate", RotateAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.KeyRotate)
            .Documented<DataKeysResponse>("keys_rotate_api", "Rekey extension: add a data key and re-encrypt every stored value under it (resumable).", 200, ResultCodes.DataKeyRotated,
                ResultCodes.DataKeyMasterKeysMissing)
            .WithTags("Rekey extensions");
        api.MapPost("/keys/reencrypt", ReencryptAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.KeyReencrypt)
            .Documented<DataKeysResponse>("keys_reencrypt_api", "Rekey extension: finish an interrupted rotation (re-encrypt what is still under older keys).", 200, ResultCodes.DataKeyReencrypted)
            .WithTags("Rekey extensions");
        api.MapPost("/{serviceId}/signing_key/rotate", RotateSigningKeyAsync).RequirePermission(Permissions.ServiceWrite).Audited(AuditActions.SigningKeyRotate)
            .Documented<SigningKeysResponse>("signing_key_rotate_api",
                "Rekey extension: a new ES256 key for the service's access tokens, published in the JWKS now and signing after Rekey:SigningKeyActivationDelay; the key it replaces stays published until its tokens have expired. Answers every key's schedule.",
                200, ResultCodes.SigningKeyRotated, ResultCodes.SigningKeyStillPending, ResultCodes.ServiceNotFound)
            .WithTags("Rekey extensions");
        api.MapGet("/{serviceId}/signing_key/get/list", ListSigningKeysAsync).RequirePermission(Permissions.ServiceRead)
            .Documented<SigningKeysResponse>("signing_key_get_list_api", "Rekey extension: the service's signing keys, newest first, each with its status (published, active, retiring) and schedule.", 200,
                ResultCodes.SigningKeysListed, ResultCodes.ServiceNotFound)
            .WithTags("Rekey extensions");
        api.MapGet("/keys/get/list", ListAsync).RequirePermission(Permissions.Admin)
            .Documented<DataKeysResponse>("keys_get_list_api", "Rekey extension: the data keys and how many stored values each seals; the master keys and which data keys each wraps.", 200,
                ResultCodes.DataKeysListed)
            .WithTags("Rekey extensions");
        api.MapPost("/keys/rewrap", RewrapAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.KeyRewrap)
            .Documented<DataKeysResponse>("keys_rewrap_api", "Rekey extension: wrap every data key under every master key configured on this node as well; older wrappings stay until their master key is retired.", 200,
                ResultCodes.MasterKeysRewrapped, ResultCodes.DataKeyMasterKeysMissing)
            .WithTags("Rekey extensions");
        api.MapPost("/keys/masters/retire/{masterKeyId}", RetireAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.MasterKeyRetire)
            .Documented<DataKeysResponse>("keys_master_retire_api", "Rekey extension: delete a master key's wrappings of the data keys, once every data key opens with another master key configured on this node.", 200,
                ResultCodes.MasterKeyRetired, ResultCodes.MasterKeyStillNeeded, ResultCodes.MasterKeyNotFound)
            .WithTags("Rekey extensions");
        return api;
    }

    private static async Task<IResult> RotateAsync(HttpContext http, IRekeyStore store, Changes changes, KeyLifecycle keys, CancellationToken ct)
    {
        var change = changes.For(http);
        var rotated = await RotateDataKeyAsync(store, keys, change, ct);
        return rotated.IsOk(out var done, out var error)
            ? await AnswerAsync(store, keys, ResultCodes.DataKeyRotated, done, ct)
            : await changes.RefuseAsync(http, change, error, null);
    }

    /// <summary>
    /// A new data key, then every stored value re-encrypted under it (A180201 when this node lacks a master key in use):
    /// /api and the console alike.
    /// </summary>
    public static async Task<Outcome<Reencryption>> RotateDataKeyAsync(IRekeyStore store, KeyLifecycle keys, ChangeContext change, CancellationToken ct)
    {
        var added = await keys.NewDataKeyAsync(change, ct);
        return added.IsOk(out var keyId, out var error) ? await ReencryptUnderAsync(store, keyId, ct) : error;
    }

    /// <summary>
    /// Finishes an interrupted rotation: what is still under older keys re-encrypted under the current one. Its audit
    /// event is written at the end, as the work spans many short transactions. /api and the console alike.
    /// </summary>
    public static async Task<Reencryption> FinishRotationAsync(IRekeyStore store, KeyLifecycle keys, ChangeContext change, CancellationToken ct)
    {
        await keys.RefreshAsync(ct);
        var current = (await store.ListDataKeysAsync(ct))[0].KeyId;
        var done = await ReencryptUnderAsync(store, current, ct);
        await store.AppendAuditAsync(new AuditRecord(change, null, null, null, "success", current), ct);
        return done;
    }

    /// <summary>The data keys, newest (current) first, with how many stored values each seals.</summary>
    public static async Task<IReadOnlyList<DataKeyInfo>> DescribeDataKeysAsync(IRekeyStore store, CancellationToken ct)
    {
        var dataKeys = await store.ListDataKeysAsync(ct);
        var current = dataKeys.Count > 0 ? dataKeys[0].KeyId : null;
        return [.. dataKeys.Select(k => new DataKeyInfo { KeyId = k.KeyId, CreatedAt = k.CreatedAt, Current = k.KeyId == current, Values = k.Values })];
    }

    private static async Task<IResult> RewrapAsync(HttpContext http, IRekeyStore store, Changes changes, KeyLifecycle keys, CancellationToken ct)
    {
        var change = changes.For(http);
        var rewrapped = await keys.RewrapAsync(change, ct);
        if (!rewrapped.IsOk(out var done, out var error))
        {
            return await changes.RefuseAsync(http, change, error, null);
        }

        var code = ResultCodes.MasterKeysRewrapped;
        return await AnswerAsync(store, keys, code.Code, code.Format(done.Added, string.Join(", ", done.MasterKeyIds)), null, ct);
    }

    private static async Task<IResult> RetireAsync(string masterKeyId, HttpContext http, IRekeyStore store, Changes changes, KeyLifecycle keys, CancellationToken ct)
    {
        var change = changes.For(http);
        var retired = await keys.RetireAsync(masterKeyId, change, ct);
        if (!retired.IsOk(out var wraps, out var error))
        {
            return await changes.RefuseAsync(http, change, error, null, target: masterKeyId);
        }

        var code = ResultCodes.MasterKeyRetired;
        return await AnswerAsync(store, keys, code.Code, code.Format(masterKeyId, wraps), null, ct);
    }

    private static async Task<IResult> RotateSigningKeyAsync(HttpContext http, Changes changes, OAuth.SigningKeys keys, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var rotated = await keys.RotateAsync(sid, change, ct);
        return rotated.IsOk(out var keyId, out var error)
            ? SigningKeysAnswer(ResultCodes.SigningKeyRotated.Code, ResultCodes.SigningKeyRotated.Format(sid, keyId), await keys.DescribeAsync(sid, ct))
            : await changes.RefuseAsync(http, change, error, sid);
    }

    private static async Task<IResult> ListSigningKeysAsync(HttpContext http, IRekeyStore store, OAuth.SigningKeys keys, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (await store.GetServiceAsync(sid, ct) is null)
        {
            return AuthleteResults.Error(ResultCodes.ServiceNotFound, sid);
        }

        // Like the JWKS, the list makes the first key of a service that has none.
        await keys.CurrentAsync(sid, ct);
        var described = await keys.DescribeAsync(sid, ct);
        return SigningKeysAnswer(ResultCodes.SigningKeysListed.Code, ResultCodes.SigningKeysListed.Format(described.Count, sid), described);
    }

    private static IResult SigningKeysAnswer(string code, string message, IReadOnlyList<SigningKeyInfo> keys) =>
        Results.Json(new SigningKeysResponse { ResultCode = code, ResultMessage = message, Keys = keys }, WireJson.Context.SigningKeysResponse);

    private static async Task<IResult> ReencryptAsync(HttpContext http, IRekeyStore store, Changes changes, KeyLifecycle keys, CancellationToken ct) =>
        await AnswerAsync(store, keys, ResultCodes.DataKeyReencrypted, await FinishRotationAsync(store, keys, changes.For(http), ct), ct);

    /// <summary>Re-encrypts, batch by batch, every value not yet under <paramref name="keyId"/>; how many, and how many are left under other keys.</summary>
    private static async Task<Reencryption> ReencryptUnderAsync(IRekeyStore store, string keyId, CancellationToken ct)
    {
        long total = 0;
        int done;
        while ((done = await store.ReencryptBatchAsync(BatchSize, ct)) > 0)
        {
            total += done;
        }

        var remaining = (await store.ListDataKeysAsync(ct)).Where(k => k.KeyId != keyId).Sum(k => k.Values);
        return new Reencryption(keyId, total, remaining);
    }

    private static Task<IResult> AnswerAsync(IRekeyStore store, KeyLifecycle keys, ResultCode code, Reencryption done, CancellationToken ct) =>
        AnswerAsync(store, keys, code.Code, code.Format(done.KeyId, done.Reencrypted, done.Remaining), done.Reencrypted, ct);

    private static async Task<IResult> ListAsync(IRekeyStore store, KeyLifecycle keys, CancellationToken ct)
    {
        var count = (await store.ListDataKeysAsync(ct)).Count;
        return await AnswerAsync(store, keys, ResultCodes.DataKeysListed.Code, ResultCodes.DataKeysListed.Format(count), null, ct);
    }

    /// <summary>Every key endpoint answers with the whole picture: data keys (the current one marked) and master keys.</summary>
    private static async Task<IResult> AnswerAsync(IRekeyStore store, KeyLifecycle keys, string code, string message, long? reencrypted, CancellationToken ct)
    {
        return Results.Json(new DataKeysResponse
        {
            ResultCode = code,
            ResultMessage = message,
            Reencrypted = reencrypted,
            Keys = await DescribeDataKeysAsync(store, ct),
            MasterKeys = await keys.DescribeAsync(ct),
        }, WireJson.Context.DataKeysResponse);
    }
}
