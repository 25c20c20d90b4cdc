using Rekey.Contracts;

namespace Rekey.Sdk;

public sealed partial class RekeyClient
{
    /// <summary>
    /// Sets a client's secret to a value of the caller's choosing
    /// (<c>POST /api/{serviceId}/client/secret/update/{clientIdentifier}</c>). Success is result code <c>A149001</c>
    /// with the new and the old secret.
    /// </summary>
    /// <remarks>
    /// The secret is checked with <see cref="ClientSecretRules.Check"/> first. A secret that breaks a rule is refused
    /// without a request: the error has the result code and message the server would have answered with, HTTP status
    /// 400 and <see cref="RekeyError.IsLocal"/> set.
    /// </remarks>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the client ID alias.</param>
    /// <param name="request">The new secret: 1 to 86 characters of <c>A-Z a-z 0-9 - _</c>.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientSecretResponse>> UpdateClientSecretAsync(long serviceId, string clientIdentifier, ClientSecretUpdateRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = $"api/{serviceId}/client/secret/update/{Segment(clientIdentifier, nameof(clientIdentifier))}";
        cancellationToken.ThrowIfCancellationRequested();
        if (ClientSecretRules.Check(request.ClientSecret) is { } violation)
        {
            return Task.FromResult(new RekeyResult<ClientSecretResponse>(new RekeyError
            {
                HttpStatus = violation.Code.HttpStatus,
                ResultCode = violation.Code.Code,
                ResultMessage = violation.Message,
                IsLocal = true,
            }));
        }

        return SendAsync(HttpMethod.Post, path, Body(request, Json.ClientSecretUpdateRequest), Json.ClientSecretResponse, cancellationToken);
    }

    /// <summary>
    /// Replaces a client's secret with one the server generates (64 random bytes, base64url, 86 characters)
    /// (<c>GET /api/{serviceId}/client/secret/refresh/{clientIdentifier}</c>). Success is result code <c>A148001</c>
    /// with the new and the old secret.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the client ID alias.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientSecretResponse>> RefreshClientSecretAsync(long serviceId, string clientIdentifier, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/client/secret/refresh/{Segment(clientIdentifier, nameof(clientIdentifier))}", null,
            Json.ClientSecretResponse, cancellationToken);
}
