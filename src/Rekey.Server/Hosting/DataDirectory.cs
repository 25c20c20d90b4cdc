using Microsoft.Extensions.Options;

namespace Rekey.Server.Hosting;

/// <summary>
/// <c>Rekey:DataDirectory</c> made absolute (a relative path is taken from the working directory), created (mode 0700), and
/// proven writable, once, before anything is written into it (the master key file, the admin token, the SQLite
/// file). A directory that cannot be used stops the start with one line that names it and says why.
/// </summary>
internal sealed class DataDirectory
{
    public DataDirectory(IOptions<RekeyOptions> options, ILogger<DataDirectory> logger)
    {
        FullPath = System.IO.Path.GetFullPath(options.Value.DataDirectory);
        try
        {
            Secrets.PrivateFile.CreateDirectory(FullPath);
            // Writable for this process? Asking the file system is the only answer that covers ACLs, read-only mounts and
            // root. The probe is deleted when closed.
            var probe = System.IO.Path.Combine(FullPath, $".rekey-probe-{Environment.ProcessId}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupFailure($"the data directory {FullPath} cannot be used: {Reason(FullPath, ex).TrimEnd('.')} (Rekey:DataDirectory).", ex);
        }

        Log.DataDirectoryReady(logger, FullPath);
    }

    public string FullPath { get; }

    public string PathOf(string fileName) => System.IO.Path.Combine(FullPath, fileName);

    /// <summary>"Could not find a part of the path" hides the usual cause, a file where a directory should be.</summary>
    private static string Reason(string path, Exception ex)
    {
        for (var at = path; !string.IsNullOrEmpty(at); at = System.IO.Path.GetDirectoryName(at))
        {
            if (File.Exists(at))
            {
                return $"{at} is a file, not a directory";
            }

            if (Directory.Exists(at))
            {
                break;
            }
        }

        return ex.Message;
    }
}
