using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Http;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Server.Hosting;

/// <summary>
/// Last line of defence: an exception is a bug or broken infrastructure. The caller gets a result code and the
/// request ID, never a stack trace; a store outage is a 503 the caller may retry. Each such request is logged once
/// (the exception handler middleware's own line is suppressed), at the level that says who has to act: a bug is an
/// error with its stack trace; an outage one warning line without one when it begins and one when it ends
/// (<see cref="StoreAvailability"/>), each request in it at debug; a request the HTTP server could not read
/// (too slow, malformed) is the client's doing and only debug — anyone can send one without a token.
/// </summary>
internal sealed class UnhandledErrors(IOptions<RekeyOptions> options, StoreAvailability availability, ILogger<UnhandledErrors> logger)
{
    public ExceptionHandlerOptions HandlerOptions => new()
    {
        ExceptionHandler = WriteAsync,
        SuppressDiagnosticsCallback = _ => true,
    };

    private async Task WriteAsync(HttpContext http)
    {
        var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        var result = error switch
        {
            StoreUnavailableException unavailable => Unavailable(http, unavailable),
            StoreOutcomeUnknownException unknown => OutcomeUnknown(http, unknown),
            StoreOverloadedException overloaded => Overloaded(http, overloaded),
            SecretDecryptionException unreadable => UnreadableSecret(http, unreadable),
            BadHttpRequestException unreadable => UnreadableRequest(http, unreadable),
            _ => Unhandled(http, error),
        };
        // The exception handler cleared the headers SafeHeaders set; the answer is still JSON written by WireJson.
        http.Response.Headers.XContentTypeOptions = "nosniff";
        if (IsOAuthPath(http.Request.Path))
        {
            // The standard endpoints speak RFC 6749 errors, also when the server fails or cannot read the request.
            http.Response.StatusCode = result.Code.HttpStatus;
            http.Response.Headers.CacheControl = "no-store";
            var code = result.Code.HttpStatus < 500 ? "invalid_request" : "server_error";
            await http.Response.WriteAsJsonAsync(new OAuthError { Error = code, ErrorDescription = result.Message }, WireJson.Context.OAuthError);
            return;
        }

        if (http.Request.Path.StartsWithSegments("/console", StringComparison.Ordinal))
        {
            // The console answers with a page, under the console's headers (the handler cleared them).
            RekeyHosting.ConsoleHeaders(http.Response.Headers);
            http.Response.StatusCode = result.Code.HttpStatus;
            await Console.ConsolePages.Refused(http, result).ExecuteAsync(http);
            return;
        }

        await AuthleteResults.WriteAsync(http, result);
    }

    private static bool IsOAuthPath(PathString path) =>
        path.StartsWithSegments("/oauth2", StringComparison.Ordinal) || path.StartsWithSegments("/.well-known", StringComparison.Ordinal);

    private RuleViolation Unavailable(HttpContext http, StoreUnavailableException ex)
    {
        availability.Failed(http.TraceIdentifier, ex.Message);
        return RuleViolation.Of(ResultCodes.StoreUnavailable);
    }

    private RuleViolation OutcomeUnknown(HttpContext http, StoreOutcomeUnknownException ex)
    {
        Log.StoreOutcomeUnknown(logger, http.TraceIdentifier, ex.Message);
        return RuleViolation.Of(ResultCodes.StoreOutcomeUnknown, http.TraceIdentifier);
    }

    private RuleViolation Overloaded(HttpContext http, StoreOverloadedException ex)
    {
        // Debug only: under overload a line per refused write would add to the load; the writer counts them
        // (rekey.sqlite.write.rejected).
        Log.StoreOverloaded(logger, http.TraceIdentifier, ex.Message);
        http.Response.Headers.RetryAfter = StoreOverloadedException.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return RuleViolation.Of(ResultCodes.StoreOverloaded, StoreOverloadedException.RetryAfterSeconds);
    }

    private RuleViolation UnreadableSecret(HttpContext http, SecretDecryptionException ex)
    {
        Log.StoredSecretUnreadable(logger, http.TraceIdentifier, ex.Message);
        // The exception handler clears the route values before it calls the handler; the feature keeps them.
        var routeValues = http.Features.Get<IExceptionHandlerFeature>()?.RouteValues;
        var client = routeValues?["clientIdentifier"] ?? "?";
        return RuleViolation.Of(ResultCodes.StoredSecretUnreadable, client, http.TraceIdentifier);
    }

    private RuleViolation UnreadableRequest(HttpContext http, BadHttpRequestException ex)
    {
        // The status only: parameter binding's messages quote the value they could not bind, which may come from the query.
        Log.RequestUnreadable(logger, http.TraceIdentifier, ex.StatusCode);
        return ex.StatusCode switch
        {
            StatusCodes.Status408RequestTimeout => RuleViolation.Of(ResultCodes.RequestBodyTooSlow),
            StatusCodes.Status413PayloadTooLarge => RuleViolation.Of(ResultCodes.BodyTooLarge, options.Value.MaxRequestBodyBytes),
            _ => RuleViolation.Of(ResultCodes.BadRequest, ex.Message.TrimEnd('.')),
        };
    }

    private RuleViolation Unhandled(HttpContext http, Exception? ex)
    {
        Log.UnhandledError(logger, ex ?? new InvalidOperationException("unknown"), http.TraceIdentifier);
        return RuleViolation.Of(ResultCodes.InternalError, http.TraceIdentifier);
    }
}
