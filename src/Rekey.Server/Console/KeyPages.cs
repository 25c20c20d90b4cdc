using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Server.Console;

/// <summary>The keys page: data keys newest (current) first with the values each seals, and the master keys that wrap them.</summary>
public sealed record KeysModel(Page Layout, IReadOnlyList<DataKeyInfo> DataKeys, IReadOnlyList<MasterKeyInfo> MasterKeys)
{
    /// <summary>Every stored value (client secrets, signing keys).</summary>
    public long Values => DataKeys.Sum(k => k.Values);

    /// <summary>Values still under an older data key: what re-encryption has left to do.</summary>
    public long Remaining => DataKeys.Where(k => !k.Current).Sum(k => k.Values);
}

/// <summary>Data keys (organisation only): their use and re-encryption progress; rotate, and finish an interrupted rotation — <see cref="KeyApi"/>'s own operations.</summary>
internal static class KeyPages
{
    public static RouteGroupBuilder MapKeyPages(this RouteGroupBuilder console)
    {
        console.MapGet("/keys", ShowAsync).RequirePermission(Permissions.Admin);
        console.MapPost("/keys/rotate", RotateAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.KeyRotate);
        console.MapPost("/keys/reencrypt", ReencryptAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.KeyReencrypt);
        return console;
    }

    private static Task<IResult> ShowAsync(HttpContext http, IRekeyStore store, KeyLifecycle keys, string? notice, CancellationToken ct) =>
        RenderAsync(http, store, keys, Page.For(http, "Keys", "keys") with { Notice = Notices.Text(notice) }, StatusCodes.Status200OK, ct);

    private static async Task<IResult> RenderAsync(HttpContext http, IRekeyStore store, KeyLifecycle keys, Page layout, int status, CancellationToken ct) =>
        Results.RazorSlice<Slices.Keys, KeysModel>(new KeysModel(layout, await KeyApi.DescribeDataKeysAsync(store, ct), await keys.DescribeAsync(ct)), status);

    private static async Task<IResult> RotateAsync(HttpContext http, IRekeyStore store, Changes changes, KeyLifecycle keys, CancellationToken ct)
    {
        var change = changes.For(http);
        if (!(await KeyApi.RotateDataKeyAsync(store, keys, change, ct)).IsOk(out _, out var error))
        {
            await changes.RecordAsync(http, change, error, null);
            return await RenderAsync(http, store, keys, Page.For(http, "Keys", "keys") with { Error = error }, error.Code.HttpStatus, ct);
        }

        return Results.Redirect("/console/keys?notice=key-rotated");
    }

    private static async Task<IResult> ReencryptAsync(HttpContext http, IRekeyStore store, Changes changes, KeyLifecycle keys, CancellationToken ct)
    {
        await KeyApi.FinishRotationAsync(store, keys, changes.For(http), ct);
        return Results.Redirect("/console/keys?notice=keys-reencrypted");
    }
}
