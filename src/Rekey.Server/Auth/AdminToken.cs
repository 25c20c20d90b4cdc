using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Rekey.Server.Hosting;
using Rekey.Server.Secrets;

namespace Rekey.Server.Auth;

/// <summary>
/// The organisation (admin) token. From <c>Rekey:AdminToken</c> when set; otherwise generated on first start into
/// <c>&lt;DataDirectory&gt;/admin-token</c> (mode 0600). Only its SHA-256 hash is kept in memory; the log names the
/// file, never the value.
/// </summary>
internal sealed class AdminToken
{
    public const string FileName = "admin-token";

    private readonly byte[] _hash;

    public AdminToken(IOptions<RekeyOptions> options, ILogger<AdminToken> logger)
    {
        var o = options.Value;
        string token;
        if (!string.IsNullOrWhiteSpace(o.AdminToken))
        {
            token = o.AdminToken.Trim();
            Log.AdminTokenFromConfiguration(logger);
        }
        else
        {
            var path = Path.GetFullPath(Path.Combine(o.DataDirectory, FileName));
            if (!File.Exists(path))
            {
                PrivateFile.WriteNew(path, SecretGenerator.NewAccessToken() + "\n");
                Log.AdminTokenGenerated(logger, path);
            }
            else
            {
                Log.AdminTokenFromFile(logger, path);
            }

            token = File.ReadAllText(path, Encoding.UTF8).Trim();
        }

        _hash = TokenHash.Of(token);
    }

    public bool Matches(byte[] presentedHash) => CryptographicOperations.FixedTimeEquals(presentedHash, _hash);
}
