using Rekey.Contracts;

namespace Rekey.Server.Http;

/// <summary>The one place that builds Authlete-shaped answers: <c>{resultCode, resultMessage}</c> with the code's status.</summary>
internal static class AuthleteResults
{
    public static IResult Error(RuleViolation violation) =>
        Results.Json(ResultResponse.Of(violation), RekeyJsonContext.Default.ResultResponse, statusCode: violation.Code.HttpStatus);

    public static IResult Error(ResultCode code, params object?[] args) => Error(RuleViolation.Of(code, args));

    public static IResult Ok(ResultCode code, params object?[] args) =>
        Results.Json(ResultResponse.Of(code, args), RekeyJsonContext.Default.ResultResponse, statusCode: code.HttpStatus);

    public static Task WriteAsync(HttpContext http, RuleViolation violation) =>
        Error(violation).ExecuteAsync(http);
}
