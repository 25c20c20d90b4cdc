using System.Globalization;

namespace Rekey.Server.Storage;

/// <summary>Numbered migration scripts embedded in the assembly: <c>Storage/Migrations/&lt;provider&gt;/NNNN_name.sql</c>.</summary>
internal static class Migrations
{
    public static IReadOnlyList<(int Version, string Sql)> For(string provider)
    {
        var assembly = typeof(Migrations).Assembly;
        var prefix = $"Rekey.Migrations.{provider}/";
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
            .OrderBy(m => m.version)
            .ToList();
    }
}
