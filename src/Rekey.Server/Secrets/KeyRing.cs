using System.Security.Cryptography;
using System.Text;
using Rekey.Server.Hosting;

namespace Rekey.Server.Secrets;

/// <summary>
/// The master keys this node has: from configuration (<c>Rekey:MasterKeys</c>, entries <c>id:base64</c> or plain
/// base64) or, when that is empty, from the key file <c>&lt;DataDirectory&gt;/master.key</c>. Which of them wrap
/// which data keys is recorded in the database, not here (see <see cref="KeyPlans"/>): configuring a key changes
/// nothing until it is used by an explicit rewrap.
/// </summary>
internal sealed class KeyRing
{
    /// <summary>The format of a key file line and of a configuration entry, as error messages state it.</summary>
    public const string EntryFormat = "'id:base64' (or plain base64) of exactly 32 random bytes, one key per line, '#' starts a comment";

    private readonly Dictionary<string, MasterKey> _byId;

    public KeyRing(IReadOnlyList<MasterKey> keys, string? unsavedFile = null)
    {
        if (keys.Count == 0)
        {
            throw new ArgumentException("The key ring needs at least one master key.", nameof(keys));
        }

        Keys = keys;
        UnsavedFile = unsavedFile;
        _byId = new Dictionary<string, MasterKey>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (!_byId.TryAdd(key.Id, key))
            {
                throw new ArgumentException($"The master key ID '{key.Id}' is given twice.", nameof(keys));
            }
        }
    }

    /// <summary>In the order given (configuration order, or the file's lines).</summary>
    public IReadOnlyList<MasterKey> Keys { get; }

    /// <summary>
    /// Set when the ring is a key generated for a key file that does not exist yet: it is written
    /// (<see cref="SaveNewFile"/>) only when a new database is about to use it, never beside a database that already
    /// holds data keys.
    /// </summary>
    public string? UnsavedFile { get; private set; }

    public MasterKey? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>Writes the generated key to its file (mode 0600), once.</summary>
    public void SaveNewFile()
    {
        if (UnsavedFile is not { } path)
        {
            return;
        }

        var key = Keys[0];
        PrivateFile.WriteNew(path, $"{key.Id}:{Convert.ToBase64String(GeneratedMaterial ?? throw new InvalidOperationException("No generated key to save."))}\n");
        CryptographicOperations.ZeroMemory(GeneratedMaterial);
        GeneratedMaterial = null;
        UnsavedFile = null;
    }

    private byte[]? GeneratedMaterial { get; set; }

    public static MasterKey ParseEntry(string entry)
    {
        var colon = entry.IndexOf(':', StringComparison.Ordinal);
        var material = Convert.FromBase64String(colon < 0 ? entry.Trim() : entry[(colon + 1)..].Trim());
        var id = colon < 0 ? Convert.ToHexStringLower(SHA256.HashData(material))[..8] : entry[..colon].Trim();
        if (id.Length == 0 || id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new FormatException("A master key ID is 1 to 64 characters of A-Z a-z 0-9 - _ .");
        }

        return new MasterKey(id, material);
    }

    /// <summary>
    /// Reads the key file. A file that is missing gives a ring with a freshly generated key that is not written yet
    /// (<see cref="UnsavedFile"/>). A file that is empty, malformed, holds a key of the wrong size, or can be read by
    /// group or others refuses the start (<see cref="StartupFailure"/>) with one line that names the file.
    /// </summary>
    public static KeyRing FromFile(string path)
    {
        if (!File.Exists(path))
        {
            var material = RandomNumberGenerator.GetBytes(32);
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            return new KeyRing([new MasterKey(id, material)], path) { GeneratedMaterial = material };
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new StartupFailure($"the master key file {path} can be read or written by group or others (mode {Mode(path)}); run: chmod 600 {path}");
        }

        string[] lines;
        try
        {
            lines = File.ReadAllLines(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupFailure($"the master key file {path} cannot be read: {ex.Message}", ex);
        }

        var keys = new List<MasterKey>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            try
            {
                keys.Add(ParseEntry(line));
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                throw new StartupFailure($"the master key file {path} is not valid at line {i + 1}: expected {EntryFormat}", ex);
            }
        }

        if (keys.Count == 0)
        {
            throw new StartupFailure($"the master key file {path} holds no key: expected {EntryFormat}");
        }

        try
        {
            return new KeyRing(keys);
        }
        catch (ArgumentException ex)
        {
            throw new StartupFailure($"the master key file {path} is not valid: {ex.Message}", ex);
        }
    }

    private static string Mode(string path) => OperatingSystem.IsWindows() ? "?" : Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0');
}
