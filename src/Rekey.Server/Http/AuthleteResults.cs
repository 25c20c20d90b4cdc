using Microsoft.AspNetCore.Http.HttpResults;
using Rekey.Contracts;

namespace Rekey.Server.Http;

/// <summary>The one place that builds Authlete-shaped answers: <c>{resultCode, resultMessage}</c> with the code's status.</summary>
internal static class AuthleteResults
{
    public static JsonHttpResult<ResultResponse> Error(RuleViolation violation) =>
        TypedResults.Json(ResultResponse.Of(violation), WireJson.Context.ResultResponse, statusCode: violation.Code.HttpStatus);

    public static JsonHttpResult<ResultResponse> Error(ResultCode code, params object?[] args) => Error(RuleViolation.Of(code, args));

    public static JsonHttpResult<ResultResponse> Ok(ResultCode code, params object?[] args) =>
        TypedResults.Json(ResultResponse.Of(code, args), WireJson.Context.ResultResponse, statusCode: code.HttpStatus);

    public static Task WriteAsync(HttpContext http, RuleViolation violation) =>
        Error(violation).ExecuteAsync(http);
}
