using System.Security.Cryptography;
using System.Text;

namespace Rekey.Server.Secrets;

/// <summary>
/// One master key (key-encryption key). It never touches a secret: it only wraps the data keys kept in the
/// database, through a wrapping key derived from it with HKDF-SHA256.
/// </summary>
internal sealed class MasterKey
{
    public MasterKey(string id, byte[] material)
    {
        if (material.Length != 32)
        {
            throw new ArgumentException("A master key must be 32 bytes (256 bits).", nameof(material));
        }

        Id = id;
        WrappingKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, material, 32, salt: [], info: "rekey/v1/data-key-wrap"u8.ToArray());
    }

    public string Id { get; }

    public byte[] WrappingKey { get; }

    public override string ToString() => $"MasterKey {{ Id = {Id} }}";
}

/// <summary>
/// The master keys: the newest wraps, every one unwraps. They come from configuration
/// (<c>Rekey:MasterKeys</c>, entries <c>id:base64</c> or plain base64) or, when that is empty, from the key file
/// <c>&lt;DataDirectory&gt;/master.key</c>, created on first start with mode 0600 and kept apart from the database.
/// </summary>
internal sealed class KeyRing
{
    private readonly Dictionary<string, MasterKey> _byId;

    public KeyRing(IReadOnlyList<MasterKey> keys)
    {
        if (keys.Count == 0)
        {
            throw new ArgumentException("The key ring needs at least one master key.", nameof(keys));
        }

        Keys = keys;
        _byId = keys.ToDictionary(k => k.Id, StringComparer.Ordinal);
    }

    public IReadOnlyList<MasterKey> Keys { get; }

    public MasterKey Current => Keys[^1];

    public MasterKey? Find(string id) => _byId.GetValueOrDefault(id);

    public static MasterKey ParseEntry(string entry)
    {
        var colon = entry.IndexOf(':', StringComparison.Ordinal);
        var material = Convert.FromBase64String(colon < 0 ? entry.Trim() : entry[(colon + 1)..].Trim());
        var id = colon < 0 ? Convert.ToHexStringLower(SHA256.HashData(material))[..8] : entry[..colon].Trim();
        return new MasterKey(id, material);
    }

    /// <summary>Loads the key file, creating it with a fresh key when it does not exist.</summary>
    public static KeyRing FromFile(string path)
    {
        if (!File.Exists(path))
        {
            var material = RandomNumberGenerator.GetBytes(32);
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            PrivateFile.WriteNew(path, $"{id}:{Convert.ToBase64String(material)}\n");
        }

        var keys = File.ReadAllLines(path, Encoding.UTF8)
            .Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'))
            .Select(ParseEntry)
            .ToList();
        return new KeyRing(keys);
    }
}

/// <summary>Files only the owner may read: the admin token, the master key file.</summary>
internal static class PrivateFile
{
    public static void WriteNew(string path, string content)
    {
        // The first file written may be the first thing in a data directory that does not exist yet.
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        var bytes = Encoding.UTF8.GetBytes(content);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }
}
