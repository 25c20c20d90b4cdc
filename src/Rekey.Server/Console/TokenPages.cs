using System.Globalization;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Services;
using Rekey.Server.Storage;

namespace Rekey.Server.Console;

/// <summary>The API tokens page: the tokens (never their values), the services they may be given, the form as it was sent, and a token just created.</summary>
public sealed record TokensModel(Page Layout, IReadOnlyList<ApiTokenInfo> Tokens, IReadOnlyList<ServiceDocument> Services, Pager Pager, ApiTokenCreateRequest? Form,
    ApiTokenInfo? Created)
{
    public override string ToString() => $"TokensModel {{ Count = {Tokens.Count} }}";
}

/// <summary>API tokens (organisation only): list, create (the value shown once), delete — through <see cref="ApiTokenApi"/>'s rules, audited as /api audits.</summary>
internal static class TokenPages
{
    private const int PageSize = 50;

    public static RouteGroupBuilder MapTokenPages(this RouteGroupBuilder console)
    {
        console.MapGet("/tokens", ListAsync).RequirePermission(Permissions.Admin);
        console.MapPost("/tokens", CreateAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.ApiTokenCreate);
        console.MapPost("/tokens/{tokenId}/delete", DeleteAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.ApiTokenDelete);
        return console;
    }

    private static Task<IResult> ListAsync(HttpContext http, IRekeyStore store, string? page, string? notice, CancellationToken ct) =>
        RenderAsync(http, store, Pager.NumberOf(page), Page.For(http, "API tokens", "tokens") with { Notice = Notices.Text(notice) }, null, null, StatusCodes.Status200OK, ct);

    private static async Task<IResult> RenderAsync(HttpContext http, IRekeyStore store, int number, Page layout, ApiTokenCreateRequest? form, ApiTokenInfo? created, int status,
        CancellationToken ct)
    {
        var pager = new Pager(number, PageSize, 0, "/console/tokens");
        var tokens = await store.ListApiTokensAsync(pager.Start, pager.Start + PageSize, ct);
        var services = await store.ListServicesAsync(null, 0, Http.Paging.MaxPageSize, ct);
        return Results.RazorSlice<Slices.Tokens, TokensModel>(new TokensModel(layout, [.. tokens.Items.Select(t => ApiTokenApi.Present(t))], [.. services.Items.Select(ServiceRules.Present)],
            pager with { Total = tokens.TotalCount }, form, created), status);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IRekeyStore store, Changes changes, CancellationToken ct)
    {
        var change = changes.For(http);
        var form = ConsoleAuth.FormOf(http);
        var create = new ApiTokenCreateRequest
        {
            ServiceId = long.TryParse(form["serviceId"], NumberStyles.None, CultureInfo.InvariantCulture, out var sid) ? sid : null,
            Permissions = [.. form["permissions"].OfType<string>()],
            Description = form["description"].ToString().Trim() is { Length: > 0 } description ? description : null,
        };
        var layout = Page.For(http, "API tokens", "tokens");
        if (!(await ApiTokenApi.IssueAsync(create, store, change, ct)).IsOk(out var issued, out var error))
        {
            await changes.RecordAsync(http, change, error, create.ServiceId);
            return await RenderAsync(http, store, 1, layout with { Error = error }, create, null, error.Code.HttpStatus, ct);
        }

        // Shown on this answer only (no-store, not a redirect): nothing keeps the value to show it again.
        return await RenderAsync(http, store, 1, layout with { Notice = Notices.Text("token-created") }, null, ApiTokenApi.Present(issued.Token, issued.Value),
            StatusCodes.Status200OK, ct);
    }

    private static async Task<IResult> DeleteAsync(string tokenId, HttpContext http, IRekeyStore store, Changes changes, CancellationToken ct)
    {
        var change = changes.For(http);
        if (!(await ApiTokenApi.RemoveAsync(tokenId, store, change, ct)).IsOk(out _, out var error))
        {
            await changes.RecordAsync(http, change, error, null);
            return await RenderAsync(http, store, 1, Page.For(http, "API tokens", "tokens") with { Error = error }, null, null, error.Code.HttpStatus, ct);
        }

        return Results.Redirect("/console/tokens?notice=token-deleted");
    }
}
