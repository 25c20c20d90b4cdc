using System.Globalization;
using Rekey.Server.Hosting;

namespace Rekey.Server.Storage;

/// <summary>Numbered migration scripts embedded in the assembly: <c>Storage/Migrations/&lt;provider&gt;/NNNN_name.sql</c>.</summary>
internal static class Migrations
{
    /// <summary>
    /// The migration that moves each client's secrets from <c>client_secrets</c> into its own row
    /// (<c>clients.secrets</c>, a <see cref="Secrets.SecretSet"/>): the SQL adds the columns, code converts the rows.
    /// </summary>
    public const int SecretsIntoClients = 6;

    /// <summary>The schema version a store of <paramref name="provider"/> is at once this binary has migrated it.</summary>
    public static int Latest(string provider) => For(provider.ToLowerInvariant()) is [.., var last] ? last.Version : 0;

    /// <summary>
    /// The migrations <paramref name="applied"/> lacks, in order. A database migrated by a newer release (a version this
    /// binary does not know) refuses the start: this binary would misread or damage its data.
    /// </summary>
    public static IReadOnlyList<(int Version, string Sql)> Pending(string provider, IReadOnlyCollection<int> applied)
    {
        var all = For(provider);
        var known = all.Count == 0 ? 0 : all[^1].Version;
        var newest = applied.Count == 0 ? 0 : applied.Max();
        if (newest > known)
        {
            throw new StartupFailure(
                $"the database schema is at version {newest}, newer than this release of Rekey knows (up to {known}): run the release that migrated it, or a newer one");
        }

        return [.. all.Where(m => !applied.Contains(m.Version))];
    }

    /// <summary>
    /// The migrations of <paramref name="provider"/>: its own scripts (<c>Migrations/&lt;provider&gt;/</c>) and those
    /// written once for both engines (<c>Migrations/shared/</c>, from migration 8 on). A version may live in one place only.
    /// </summary>
    public static IReadOnlyList<(int Version, string Sql)> For(string provider)
    {
        var all = Scripts(provider).Concat(Scripts("shared")).OrderBy(m => m.Version).ToList();
        if (all.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new InvalidOperationException($"Migration {twice.Key} exists both for {provider} and shared.");
        }

        return all;
    }

    private static IEnumerable<(int Version, string Sql)> Scripts(string folder)
    {
        var assembly = typeof(Migrations).Assembly;
        var prefix = $"Rekey.Migrations.{folder}/";
        return assembly.GetManifestResourceNames()
            .Select(name => name.Replace('\\', '/'))
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(name =>
            {
                var file = name[prefix.Length..];
                var version = int.Parse(file[..file.IndexOf('_', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                using var stream = assembly.GetManifestResourceStream(name) ?? assembly.GetManifestResourceStream(name.Replace('/', '\\'))
                    ?? throw new InvalidOperationException($"Missing migration resource {name}.");
                using var reader = new StreamReader(stream);
                return (version, reader.ReadToEnd());
            })
            .ToList();
    }
}
