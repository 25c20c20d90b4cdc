using System.Text;

namespace Rekey.Server.Secrets;

/// <summary>
/// Files and directories only the owner may read: the data directory (0700), the admin token, the master key file and
/// the SQLite database (0600; SQLite gives its -wal and -shm files the database file's mode).
/// </summary>
internal static class PrivateFile
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the directory (and its missing parents) with mode 0700; an existing one is left as it is.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerOnlyDirectory);
        }
    }

    /// <summary>Creates an empty file with mode 0600 unless it exists (for SQLite, an empty file is an empty database).</summary>
    public static void CreateEmpty(string path)
    {
        CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        try
        {
            using var stream = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Created meanwhile (another process of the same deployment): keep it as it is.
        }
    }

    public static void WriteNew(string path, string content)
    {
        // The first file written may be the first thing in a data directory that does not exist yet.
        CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        using var stream = new FileStream(path, options);
        var bytes = Encoding.UTF8.GetBytes(content);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }
}
