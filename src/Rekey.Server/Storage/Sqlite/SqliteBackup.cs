using Microsoft.Data.Sqlite;

namespace Rekey.Server.Storage.Sqlite;

/// <summary>
/// A consistent copy of a live SQLite store through SQLite's online backup API (<c>sqlite3_backup_step(-1)</c>): one
/// read transaction copies every page, so the copy is the database as of one commit, and in WAL mode the server's
/// writer goes on meanwhile. Chosen over <c>VACUUM INTO</c>, which also gives a consistent copy but rebuilds every table
/// and index: more CPU on the machine that serves, and a read snapshot held longer (the WAL cannot be checkpointed past
/// it meanwhile). The copy keeps only what the database holds: ciphertext and wrapped data keys, useless without the
/// master keys.
/// </summary>
internal static class SqliteBackup
{
    /// <summary>
    /// Copies the database at <paramref name="source"/> into the new file <paramref name="target"/> (mode 0600, created
    /// exclusively: an existing file is never overwritten) and returns its size. A failed copy leaves no file behind.
    /// </summary>
    public static long Copy(string source, string target)
    {
        var sourceConnection = new SqliteConnectionStringBuilder { DataSource = source, Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        // Created here, empty, with its final mode, before SQLite opens it: the copy is never readable by others, not
        // even for a moment, and O_EXCL makes "refuses to overwrite" atomic.
        Secrets.PrivateFile.WriteNew(target, "");
        try
        {
            using (var from = new SqliteConnection(sourceConnection.ToString()))
            using (var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString()))
            {
                from.Open();
                using (var wait = from.CreateCommand())
                {
                    // The backup step takes the source's read lock through SQLite's own busy handler (a checkpoint may hold
                    // it for a moment); Microsoft.Data.Sqlite's retry covers commands only.
                    wait.CommandText = "PRAGMA busy_timeout = 10000";
                    wait.ExecuteNonQuery();
                }

                to.Open();
                from.BackupDatabase(to);
            }

            return new FileInfo(target).Length;
        }
        catch
        {
            File.Delete(target);
            throw;
        }
    }
}
