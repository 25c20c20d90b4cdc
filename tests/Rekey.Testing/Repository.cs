namespace Rekey.Testing;

/// <summary>The checkout the tests were built from: its documents, projects and solution.</summary>
public static class Repository
{
    /// <summary>The directory holding <c>Rekey.slnx</c> above the test binaries, or null when they run outside a checkout.</summary>
    public static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Rekey.slnx")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>The checkout's root; a test that needs it fails with a plain message outside one.</summary>
    public static string Root =>
        FindRoot() ?? throw new InvalidOperationException("The tests run from a checkout of the repository (Rekey.slnx not found above " + AppContext.BaseDirectory + ").");

    /// <summary>A file of the checkout, by its path from the root (<c>docs/cli.md</c>).</summary>
    public static string File(string relativePath) => Path.Combine(Root, relativePath);
}
