namespace Rekey.Server.Hosting;

/// <summary>Every log line Rekey writes. Client and service IDs only; never a secret, token or key.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Admin token taken from configuration (Rekey:AdminToken).")]
    public static partial void AdminTokenFromConfiguration(ILogger logger);

    [LoggerMessage(2, LogLevel.Warning, "Generated a new admin token in {Path} (mode 0600). Read it from there; it is not logged.")]
    public static partial void AdminTokenGenerated(ILogger logger, string path);

    [LoggerMessage(3, LogLevel.Information, "Admin token read from {Path}.")]
    public static partial void AdminTokenFromFile(ILogger logger, string path);

    [LoggerMessage(4, LogLevel.Information, "Store ready: {Provider}, schema migrated.")]
    public static partial void StoreReady(ILogger logger, string provider);

    [LoggerMessage(5, LogLevel.Information, "Client secret {Action} for client {ClientId} of service {ServiceId}.")]
    public static partial void SecretChanged(ILogger logger, string action, long clientId, long serviceId);

    [LoggerMessage(6, LogLevel.Error, "Unhandled error for request {RequestId}.")]
    public static partial void UnhandledError(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(7, LogLevel.Warning, "Store unavailable for request {RequestId}: {Reason}")]
    public static partial void StoreUnavailable(ILogger logger, string requestId, string reason);

    [LoggerMessage(9, LogLevel.Error, "A stored secret could not be decrypted for request {RequestId}: {Reason}")]
    public static partial void StoredSecretUnreadable(ILogger logger, string requestId, string reason);

    [LoggerMessage(10, LogLevel.Error, "Outcome unknown for request {RequestId}: {Reason}")]
    public static partial void StoreOutcomeUnknown(ILogger logger, string requestId, string reason);

    [LoggerMessage(8, LogLevel.Information, "Master keys: {Count} configured ({KeyIds}), from {Source}.")]
    public static partial void KeyRingLoaded(ILogger logger, int count, string keyIds, string source);

    [LoggerMessage(40, LogLevel.Information, "Data directory: {Path}")]
    public static partial void DataDirectoryReady(ILogger logger, string path);

    [LoggerMessage(41, LogLevel.Debug, "Request {RequestId} refused with {StatusCode}: the HTTP server could not read it.")]
    public static partial void RequestUnreadable(ILogger logger, string requestId, int statusCode);

    [LoggerMessage(42, LogLevel.Debug, "Write refused for request {RequestId}: {Reason}")]
    public static partial void StoreOverloaded(ILogger logger, string requestId, string reason);

    [LoggerMessage(43, LogLevel.Critical, "Stopped by an unexpected error.")]
    public static partial void StoppedByUnexpectedError(ILogger logger, Exception exception);
}
