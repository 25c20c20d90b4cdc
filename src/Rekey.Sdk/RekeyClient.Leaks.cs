using Rekey.Contracts;

namespace Rekey.Sdk;

public sealed partial class RekeyClient
{
    /// <summary>
    /// Reports a value as leaked: if it is a live secret of a client of the service, the service's
    /// <c>leakResponse</c> is applied (<c>REVOKE</c>, the default: a previous secret is revoked, a current one replaced
    /// by a generated secret with no grace period and the client locked; <c>LOCK</c>; <c>NOTIFY</c>)
    /// (<c>POST /api/{serviceId}/client/secret/leak</c>; Rekey extension, permission <c>client.secret.leak</c>, which
    /// <c>client.secret.write</c> implies). The value is looked up, never stored.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Success is HTTP 200 whether or not the value was a secret. A caller with <c>client.secret.write</c> is told what
    /// was done: <c>A152001</c> with <see cref="SecretLeakResponse.Matches"/> (the client, the secret ID, its status,
    /// the response applied, the replacement's ID, never its value), or <c>A152003</c> when the value is no live secret
    /// of the service. A caller with only <c>client.secret.leak</c> always gets <c>A152002</c> without matches, so that
    /// the endpoint cannot be used to test guesses.
    /// </para>
    /// <para>
    /// The value is checked with <see cref="ClientSecretRules.Check"/> first: one that breaks a rule cannot be a secret,
    /// and is refused without a request, as by <see cref="UpdateClientSecretAsync"/> (the server's code and message,
    /// HTTP status 400, <see cref="RekeyError.IsLocal"/> set). A bad <see cref="SecretLeakRequest.Url"/> is refused by
    /// the server with <c>A152201</c>. To tell an identifiable secret (<c>rks_…</c>) from a look-alike offline first,
    /// use <see cref="IdentifiableSecret.Check"/>.
    /// </para>
    /// </remarks>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="request">The value found and, optionally, where (a URL of at most 2,000 characters).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<SecretLeakResponse>> ReportLeakAsync(long serviceId, SecretLeakRequest request, CancellationToken cancellationToken = default) =>
        SendLeakReportAsync($"api/{serviceId}/client/secret/leak", request, cancellationToken);

    /// <summary>
    /// Reports a value as leaked to every service at once: each live secret it matches, in whichever service, gets its
    /// service's <c>leakResponse</c> (<c>POST /api/client/secret/leak</c>; Rekey extension, organisation token). The
    /// answer is <c>A152001</c> with the matches or <c>A152003</c>; otherwise as
    /// <see cref="ReportLeakAsync(long, SecretLeakRequest, CancellationToken)"/>, including the local check of the value.
    /// </summary>
    /// <param name="request">The value found and, optionally, where (a URL of at most 2,000 characters).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<SecretLeakResponse>> ReportLeakAnywhereAsync(SecretLeakRequest request, CancellationToken cancellationToken = default) =>
        SendLeakReportAsync("api/client/secret/leak", request, cancellationToken);

    /// <summary>
    /// The identifiable secret format of this deployment: its prefix, length, the regular expressions that find such
    /// secrets in text (with and without look-around), the checksum and the token type GitHub's secret scanning reports
    /// (<c>GET /api/secret-format</c>; Rekey extension, any valid token). Success is result code <c>A153001</c>. Pass
    /// <see cref="SecretFormatResponse.Prefix"/> to <see cref="IdentifiableSecret.Check"/> to check values offline.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<SecretFormatResponse>> GetSecretFormatAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/secret-format", null, Json.SecretFormatResponse, cancellationToken);

    private Task<RekeyResult<SecretLeakResponse>> SendLeakReportAsync(string path, SecretLeakRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        return ClientSecretRules.Check(request.ClientSecret) is { } violation
            ? RefusedLocally<SecretLeakResponse>(violation)
            : SendAsync(HttpMethod.Post, path, Body(request, Json.SecretLeakRequest), Json.SecretLeakResponse, cancellationToken);
    }
}
