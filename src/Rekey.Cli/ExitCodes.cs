namespace Rekey.Cli;

/// <summary>The exit codes of <c>rekey</c>, stable for scripts.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>
    /// The server refused the request (HTTP 4xx with its result code): unknown client, bad document, wrong token, no
    /// permission. Nothing was changed. Also <c>secret check</c>'s answer when the value is not a well-formed
    /// identifiable secret (nothing is sent there).
    /// </summary>
    public const int Refused = 1;

    /// <summary>
    /// Usage error, nothing was sent: bad or missing arguments, no token, no service ID, or a secret that breaks the
    /// secret rules.
    /// </summary>
    public const int Usage = 2;

    /// <summary>
    /// The server failed (HTTP 5xx), answered with something that is not Rekey's (a proxy's page, whatever its status),
    /// or could not be reached (connection refused, DNS, timeout). After <c>A000104</c> the change may or may not have
    /// been made: a second line on standard error says what to read back before retrying.
    /// </summary>
    public const int Failure = 3;

    /// <summary>Interrupted (Ctrl+C) before an answer arrived; the request may or may not have been processed.</summary>
    public const int Interrupted = 130;

    /// <summary>The text for <c>--help</c> and the docs.</summary>
    internal const string Help =
        "Exit codes: 0 success; 1 the server refused the request (4xx), or 'secret check' found the value malformed; 2 usage error, nothing sent (bad arguments, " +
        "missing token or --service, secret breaks the rules); 3 server error (5xx), an answer that is not Rekey's, or server " +
        "unreachable (after A000104 the change may or may not have been made: read it back before retrying); 130 interrupted.";
}
