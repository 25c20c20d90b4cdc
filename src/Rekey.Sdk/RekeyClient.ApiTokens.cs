using Rekey.Contracts;

namespace Rekey.Sdk;

public sealed partial class RekeyClient
{
    /// <summary>
    /// Creates an API token limited to one service and a set of <see cref="Permissions"/>
    /// (<c>POST /api/apitoken/create</c>; organisation token). The token value is in <see cref="ApiTokenInfo.Token"/>
    /// of this answer and nowhere else, ever.
    /// </summary>
    /// <param name="request">Service ID, permissions (from <see cref="Permissions.Grantable"/>) and an optional description.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ApiTokenInfo>> CreateApiTokenAsync(ApiTokenCreateRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/apitoken/create", Body(request, Json.ApiTokenCreateRequest), Json.ApiTokenInfo, cancellationToken);

    /// <summary>Lists API tokens, without their values (<c>GET /api/apitoken/get/list</c>; organisation token).</summary>
    /// <param name="start">First index, inclusive (server default 0).</param>
    /// <param name="end">Last index, exclusive (server default 5; at most 1000 per page).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ApiTokenListResponse>> ListApiTokensAsync(int? start = null, int? end = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/apitoken/get/list" + Query(("start", Index(start, nameof(start))), ("end", Index(end, nameof(end)))),
            null, Json.ApiTokenListResponse, cancellationToken);

    /// <summary>
    /// Deletes an API token; it stops working at once (<c>DELETE /api/apitoken/delete/{tokenId}</c>; organisation
    /// token). Success is HTTP 204.
    /// </summary>
    /// <param name="tokenId">The token's ID (<see cref="ApiTokenInfo.TokenId"/>), not its value.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult> DeleteApiTokenAsync(long tokenId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/apitoken/delete/{tokenId}", cancellationToken);
}
