using Rekey.Contracts;

namespace Rekey.Sdk;

/// <summary>
/// Why a call failed: the server's <c>{resultCode, resultMessage}</c> answer, a secret refused by the local rules
/// before any request, or a failure to get an answer at all (see <see cref="RekeyErrorCodes"/>). <see cref="Kind"/>
/// says what to do next.
/// </summary>
public sealed record RekeyError
{
    /// <summary>
    /// The HTTP status of the answer; <c>0</c> when there was none (<see cref="RekeyErrorCodes.Network"/>,
    /// <see cref="RekeyErrorCodes.Timeout"/>). For an error found locally (<see cref="IsLocal"/>) it is the status the
    /// server would have answered with.
    /// </summary>
    public required int HttpStatus { get; init; }

    /// <summary>
    /// The server's result code (for example <c>A000211</c>, client not found), or one of the SDK's own codes in
    /// <see cref="RekeyErrorCodes"/> when the server gave no usable answer.
    /// </summary>
    public required string ResultCode { get; init; }

    /// <summary>The server's result message (<c>[A000211] The client …</c>), or the SDK's explanation.</summary>
    public required string ResultMessage { get; init; }

    /// <summary>
    /// The response body as text, exactly as received; <see langword="null"/> when there was no response. Not part of
    /// <see cref="ToString"/>: a malformed answer to a secret call may carry a secret.
    /// </summary>
    public string? RawBody { get; init; }

    /// <summary>
    /// True when the SDK refused the call itself and sent no request (a client secret that breaks
    /// <see cref="Contracts.ClientSecretRules"/>). The code and message are the ones the server would have answered with.
    /// </summary>
    public bool IsLocal { get; init; }

    /// <summary>
    /// True for an HTTP 4xx status, or a local refusal (<see cref="HttpStatus"/> 400): fix the request, retrying will not
    /// help. It looks at the status only, so it is also true for a 4xx answer that is not Rekey's (a proxy's page,
    /// <see cref="RekeyErrorKind.InvalidResponse"/>); <see cref="Kind"/> tells the two apart.
    /// </summary>
    public bool IsCallerError => HttpStatus is >= 400 and < 500;

    /// <summary>
    /// What kind of failure this is, and so what to do next: fix the request (<see cref="RekeyErrorKind.Local"/>,
    /// <see cref="RekeyErrorKind.Refused"/>), retry later (<see cref="RekeyErrorKind.Unavailable"/>), read the state
    /// back before retrying (<see cref="RekeyErrorKind.OutcomeUnknown"/>; for a write also
    /// <see cref="RekeyErrorKind.Network"/> and <see cref="RekeyErrorKind.Timeout"/>), or look at the server or what
    /// stands in front of it (<see cref="RekeyErrorKind.ServerError"/>, <see cref="RekeyErrorKind.InvalidResponse"/>).
    /// Derived from <see cref="IsLocal"/>, <see cref="ResultCode"/> and <see cref="HttpStatus"/>.
    /// </summary>
    public RekeyErrorKind Kind => this switch
    {
        { IsLocal: true } => RekeyErrorKind.Local,
        { ResultCode: RekeyErrorCodes.Network } => RekeyErrorKind.Network,
        { ResultCode: RekeyErrorCodes.Timeout } => RekeyErrorKind.Timeout,
        { ResultCode: RekeyErrorCodes.InvalidResponse } => RekeyErrorKind.InvalidResponse,
        { HttpStatus: >= 400 and < 500 } => RekeyErrorKind.Refused,
        _ when ResultCode == ResultCodes.StoreOutcomeUnknown.Code => RekeyErrorKind.OutcomeUnknown,
        _ when ResultCode == ResultCodes.StoreUnavailable.Code || ResultCode == ResultCodes.StoreOverloaded.Code => RekeyErrorKind.Unavailable,
        _ => RekeyErrorKind.ServerError,
    };

    /// <inheritdoc />
    public override string ToString() =>
        IsLocal ? $"{ResultCode} (local, no request sent): {ResultMessage}"
        : HttpStatus == 0 ? $"{ResultCode} (no response): {ResultMessage}"
        : $"HTTP {HttpStatus} {ResultCode}: {ResultMessage}";
}

/// <summary>
/// The SDK's own result codes, for failures where the server gave no <c>{resultCode, resultMessage}</c> answer.
/// They never look like a server code (which is <c>A</c> and six digits).
/// </summary>
public static class RekeyErrorCodes
{
    /// <summary>
    /// No answer: connection refused or reset, host not found, TLS failure, the connection dropped while the
    /// response was read. <see cref="RekeyError.HttpStatus"/> is 0. The request may or may not have been processed.
    /// </summary>
    public const string Network = "network";

    /// <summary>
    /// No answer within <see cref="HttpClient.Timeout"/> (the caller's own cancellation token is not a timeout: it
    /// throws <see cref="OperationCanceledException"/>). <see cref="RekeyError.HttpStatus"/> is 0. The request may or
    /// may not have been processed.
    /// </summary>
    public const string Timeout = "timeout";

    /// <summary>
    /// An answer that is not what the endpoint returns: a success status whose body does not parse as the expected
    /// type, or an error status whose body is not <c>{resultCode, resultMessage}</c> (a proxy's HTML page, an unknown
    /// path). <see cref="RekeyError.HttpStatus"/> is the status received and <see cref="RekeyError.RawBody"/> the body.
    /// </summary>
    public const string InvalidResponse = "invalid-response";
}
