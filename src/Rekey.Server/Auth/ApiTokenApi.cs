using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Server.Auth;

/// <summary>A token just issued, with its value: shown once, never logged (<see cref="ToString"/>).</summary>
internal sealed record IssuedApiToken(StoredApiToken Token, string Value)
{
    public override string ToString() => $"IssuedApiToken {{ TokenId = {Token.TokenId}, ServiceId = {Token.ServiceId} }}";
}

/// <summary>API tokens (Rekey extension, organisation token only): limited to one service and a set of permissions.</summary>
internal static class ApiTokenApi
{
    public const int MaxDescriptionLength = 200;

    public static RouteGroupBuilder MapApiTokens(this RouteGroupBuilder api)
    {
        api.MapPost("/apitoken/create", CreateAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.ApiTokenCreate)
            .Documented<ApiTokenInfo>("apitoken_create_api", "Create an API token; the value is returned once, in 'token'.", 200,
                ResultCodes.ApiTokenServiceUnknown, ResultCodes.ApiTokenInvalidPermissions, ResultCodes.ApiTokenInvalidDescription,
                ResultCodes.InvalidPropertyType, ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge, ResultCodes.MissingBody);
        api.MapGet("/apitoken/get/list", ListAsync).RequirePermission(Permissions.Admin)
            .Documented<ApiTokenListResponse>("apitoken_get_list_api", "List API tokens (never their values).", 200, ResultCodes.InvalidQueryParameter);
        api.MapDelete("/apitoken/delete/{tokenId}", DeleteAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.ApiTokenDelete)
            .Documented("apitoken_delete_api", "Delete an API token; it stops working at once. 204.", ResultCodes.ApiTokenNotFound);
        return api;
    }

    public static ApiTokenInfo Present(StoredApiToken token, string? value = null) => new()
    {
        TokenId = token.TokenId,
        ServiceId = token.ServiceId,
        Permissions = token.Permissions,
        Description = token.Description,
        CreatedAt = token.CreatedAt,
        Token = value,
    };

    private static async Task<IResult> CreateAsync(HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var change = changes.For(http);
        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.ApiTokenCreateRequest, required: true, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error) || !RequestBody.Bind(json, WireJson.Context.ApiTokenCreateRequest).IsOk(out var create, out error))
        {
            return await changes.RefuseAsync(http, change, error, null);
        }

        return (await IssueAsync(create, store, change, ct)).IsOk(out var issued, out error)
            ? Results.Json(Present(issued.Token, issued.Value), WireJson.Context.ApiTokenInfo)
            : await changes.RefuseAsync(http, change, error, create.ServiceId);
    }

    /// <summary>
    /// A new API token, after the rules of one: at least one permission, each from <see cref="Permissions.Grantable"/>; a
    /// description of at most <see cref="MaxDescriptionLength"/> characters; a service that exists. For /api and the
    /// console alike. The value is in the answer only: the store keeps its SHA-256.
    /// </summary>
    public static async Task<Outcome<IssuedApiToken>> IssueAsync(ApiTokenCreateRequest create, IRekeyStore store, ChangeContext change, CancellationToken ct)
    {
        var permissions = create.Permissions ?? [];
        if (permissions.Count == 0 || permissions.Any(p => !Permissions.Grantable.Contains(p)))
        {
            return RuleViolation.Of(ResultCodes.ApiTokenInvalidPermissions, string.Join(", ", Permissions.Grantable));
        }

        if (create.Description is { Length: > MaxDescriptionLength })
        {
            return RuleViolation.Of(ResultCodes.ApiTokenInvalidDescription, MaxDescriptionLength);
        }

        if (create.ServiceId is not { } serviceId || await store.GetServiceAsync(serviceId, ct) is null)
        {
            return RuleViolation.Of(ResultCodes.ApiTokenServiceUnknown);
        }

        var value = SecretGenerator.NewAccessToken();
        var token = await store.CreateApiTokenAsync(serviceId, permissions.Distinct().ToList(), create.Description, TokenHash.Of(value), change, ct);
        return new IssuedApiToken(token, value);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IRekeyStore store, CancellationToken ct)
    {
        if (!Paging.From(request).IsOk(out var paging, out var error))
        {
            return AuthleteResults.Error(error);
        }

        var page = await store.ListApiTokensAsync(paging.Start, paging.End, ct);
        return Results.Json(new ApiTokenListResponse
        {
            Start = paging.Start,
            End = paging.End,
            TotalCount = page.TotalCount,
            ApiTokens = page.Items.Select(t => Present(t)).ToList(),
        }, WireJson.Context.ApiTokenListResponse);
    }

    private static async Task<Results<NoContent, JsonHttpResult<ResultResponse>>> DeleteAsync(string tokenId, HttpContext http, IRekeyStore store, Changes changes,
        CancellationToken ct)
    {
        var change = changes.For(http);
        return (await RemoveAsync(tokenId, store, change, ct)).IsOk(out _, out var error)
            ? TypedResults.NoContent()
            : await changes.RefuseAsync(http, change, error, null);
    }

    /// <summary>Deletes the API token a path names (it stops working at once), or <see cref="ResultCodes.ApiTokenNotFound"/>. /api and the console alike.</summary>
    public static async Task<Outcome<long>> RemoveAsync(string tokenId, IRekeyStore store, ChangeContext change, CancellationToken ct) =>
        RouteIds.TryParse(tokenId, out var id) && await store.DeleteApiTokenAsync(id, change, ct) ? id : RuleViolation.Of(ResultCodes.ApiTokenNotFound, tokenId);
}
