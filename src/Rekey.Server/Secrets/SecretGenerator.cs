using System.Buffers.Text;
using System.Security.Cryptography;

namespace Rekey.Server.Secrets;

/// <summary>Server-generated secrets and IDs, from the OS CSPRNG.</summary>
internal static class SecretGenerator
{
    /// <summary>64 random bytes as unpadded base64url: 86 characters, 512 bits, all within the secret rules.</summary>
    public static string NewClientSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(64));

    /// <summary>A client secret in a service's <c>clientSecretFormat</c> (null: <c>AUTHLETE</c>), with the deployment's identifiable prefix.</summary>
    public static string NewClientSecret(string? format, string prefix) =>
        format == Contracts.SecretFormats.Identifiable ? Contracts.IdentifiableSecret.Generate(prefix) : NewClientSecret();

    /// <summary>A bearer token: a recognisable prefix and 32 random bytes.</summary>
    public static string NewAccessToken() => "rk_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>A registration access token (RFC 7591 §3.2.1): 256 random bits, <c>rkr_</c> so that it is told apart from an API token.</summary>
    public static string NewRegistrationAccessToken() => "rkr_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>An initial access token (RFC 7591 §3): 256 random bits, <c>rki_</c>.</summary>
    public static string NewInitialAccessToken() => "rki_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private const long MinId = 100_000_000_000;          // 12 digits
    private const long MaxIdExclusive = 1L << 53;        // JavaScript reads every ID exactly

    /// <summary>A random public ID of 12 to 16 digits, below 2^53.</summary>
    public static long NewId() => MinId + (long)(RandomUInt64() % (ulong)(MaxIdExclusive - MinId));

    private static ulong RandomUInt64()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }
}
