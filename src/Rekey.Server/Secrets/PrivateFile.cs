using System.Text;

namespace Rekey.Server.Secrets;

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
