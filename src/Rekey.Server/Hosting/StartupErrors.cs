using System.Data.Common;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Server.Hosting;

/// <summary>
/// Why the server could not start, as the one line <c>Program.cs</c> prints before it exits with 1. The host's own
/// "Hosting failed to start" (error level, with the stack trace) is filtered out in <see cref="RekeyHosting"/>.
/// </summary>
internal static class StartupErrors
{
    /// <summary>The line for a cause the operator can fix, or null for an unexpected error (a bug).</summary>
    public static string? Describe(Exception error) => Unwrap(error) switch
    {
        StartupFailure failure => failure.Message,
        OptionsValidationException invalid => "invalid configuration: " + string.Join(" ", invalid.Failures),
        // The configured master keys do not open the stored data keys: refuse to start rather than serve errors.
        SecretDecryptionException keys => "cannot open the stored data keys with the configured master keys: " + keys.Message,
        // Kestrel: "Failed to bind to address http://127.0.0.1:5080: address already in use."
        IOException { InnerException: AddressInUseException or SocketException } bind => "cannot listen: " + bind.Message.TrimEnd('.') + " (set --urls or ASPNETCORE_URLS)",
        StoreUnavailableException unavailable => "the store is unavailable: " + unavailable.Message,
        DbException database => "the database refused: " + database.Message,
        _ => null,
    };

    private static Exception Unwrap(Exception error) =>
        error is AggregateException { InnerExceptions: [var single] } ? Unwrap(single) : error;
}
