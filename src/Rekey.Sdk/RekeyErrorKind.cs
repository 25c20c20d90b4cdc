namespace Rekey.Sdk;

/// <summary>
/// What kind of failure a <see cref="RekeyError"/> is, and so what the caller should do next
/// (<see cref="RekeyError.Kind"/>). The kinds of a write call that may or may not have been applied are
/// <see cref="OutcomeUnknown"/>, <see cref="Network"/> and <see cref="Timeout"/>: read the state back before retrying
/// any of them.
/// </summary>
public enum RekeyErrorKind
{
    /// <summary>
    /// The SDK refused the call itself and sent no request (a client secret that breaks
    /// <see cref="Contracts.ClientSecretRules"/>). Nothing was changed; fix the input.
    /// </summary>
    Local,

    /// <summary>
    /// The server understood the request and refused it (HTTP 4xx with its result code: unknown client, invalid
    /// document, wrong token, missing permission). Nothing was changed. Retrying the same request gives the same
    /// answer; fix the request, the token or the state it conflicts with.
    /// </summary>
    Refused,

    /// <summary>
    /// The server could not serve the request and says nothing was changed: <c>A000102</c> (the store is unavailable)
    /// or <c>A000105</c> (the store is overloaded; the message and the <c>Retry-After</c> header say how long to
    /// wait). Safe to retry, after a pause.
    /// </summary>
    Unavailable,

    /// <summary>
    /// <c>A000104</c>: the store lost its connection while committing, so the change may or may not have been made.
    /// Do not retry blindly: read the current state back first (<c>GetClientAsync</c>, <c>ListClientSecretsAsync</c>,
    /// …) and retry only if the change is not there. A retried secret refresh or update that had in fact been applied
    /// rotates a second time, and the secret you deployed may stop working.
    /// </summary>
    OutcomeUnknown,

    /// <summary>
    /// Any other failure the server answered with its own result code (HTTP 5xx such as <c>A000101</c>, an unexpected
    /// error, or <c>A000103</c>, a stored secret that cannot be decrypted). Retrying is unlikely to help until an
    /// operator has looked at the server log; the message carries the request ID.
    /// </summary>
    ServerError,

    /// <summary>
    /// No answer: connection refused or reset, host not found, TLS failure, or the connection dropped while the
    /// response was read (<see cref="RekeyErrorCodes.Network"/>). The request may or may not have reached the server;
    /// for a write, the outcome is unknown: read the state back before retrying, as for <see cref="OutcomeUnknown"/>.
    /// </summary>
    Network,

    /// <summary>
    /// No answer within <see cref="HttpClient.Timeout"/> (<see cref="RekeyErrorCodes.Timeout"/>). The server may still
    /// have processed the request; for a write, the outcome is unknown: read the state back before retrying, as for
    /// <see cref="OutcomeUnknown"/>.
    /// </summary>
    Timeout,

    /// <summary>
    /// An answer that is not Rekey's (<see cref="RekeyErrorCodes.InvalidResponse"/>): a proxy's error page, a path the
    /// server does not serve, or a success status whose body is not the expected JSON. Check the base address and
    /// what stands between the caller and the server. A write answered with a success status and an unreadable body
    /// may have been applied.
    /// </summary>
    InvalidResponse,
}
