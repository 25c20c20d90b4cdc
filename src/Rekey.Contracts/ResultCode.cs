using System.Globalization;

namespace Rekey.Contracts;

/// <summary>
/// One entry of the result-code catalogue: Authlete's pattern <c>A</c> + three-digit API number + category digit
/// (0 success, 1 server error, 2 caller error, 3 client error) + two-digit sequence.
/// </summary>
/// <param name="Code">The code, for example <c>A149001</c>.</param>
/// <param name="HttpStatus">The HTTP status the server answers with when it reports this code.</param>
/// <param name="Template">The message, a composite format string; <see cref="Format"/> fills it in.</param>
public sealed record ResultCode(string Code, int HttpStatus, string Template)
{
    /// <summary>Builds the result message in Authlete's shape: <c>[A149001] Successfully …</c>.</summary>
    /// <param name="args">Values for the template's placeholders. Never pass a secret or token.</param>
    public string Format(params object?[] args) =>
        "[" + Code + "] " + string.Format(CultureInfo.InvariantCulture, Template, args);

    /// <summary>True for success codes (category digit 0).</summary>
    public bool IsSuccess => Code[4] == '0';
}

/// <summary>A broken rule: the result code and the message that explains it.</summary>
/// <param name="Code">The catalogue entry.</param>
/// <param name="Message">The formatted message, which names the rule but never echoes a secret.</param>
public sealed record RuleViolation(ResultCode Code, string Message)
{
    /// <summary>Creates a violation whose message is <paramref name="code"/>'s template filled with <paramref name="args"/>.</summary>
    public static RuleViolation Of(ResultCode code, params object?[] args) => new(code, code.Format(args));
}
