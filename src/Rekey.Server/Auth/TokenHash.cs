using System.Security.Cryptography;
using System.Text;

namespace Rekey.Server.Auth;

/// <summary>Tokens are stored and compared as SHA-256 hashes: a leaked database yields no usable token.</summary>
internal static class TokenHash
{
    public static byte[] Of(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
