using System.Globalization;

namespace Rekey.Cli;

/// <summary>
/// Human-readable output, on standard output and standard error: aligned <c>key: value</c> blocks, simple tables and
/// single lines. Every value goes through <see cref="TerminalText.Escape"/>, so that a control character from the
/// server or the command line is shown as <c>\u001b</c> or <c>\n</c> instead of acting on the terminal.
/// </summary>
internal static class Human
{
    /// <summary>Writes <c>key: value</c> lines with the values aligned; pairs whose value is null are left out.</summary>
    public static void KeyValues(TextWriter output, IEnumerable<(string Key, string? Value)> pairs)
    {
        var present = pairs.Where(p => p.Value is not null).ToList();
        var width = present.Count == 0 ? 0 : present.Max(p => p.Key.Length) + 2;
        foreach (var (key, value) in present)
        {
            output.Write((key + ":").PadRight(width));
            output.WriteLine(TerminalText.Escape(value ?? ""));
        }
    }

    /// <summary>Writes one line (a summary, an error, a note); any control character in it is escaped.</summary>
    public static void Line(TextWriter output, string line) => output.WriteLine(TerminalText.Escape(line));

    /// <summary>Writes a table: a header row, then one row per item, columns aligned by display width and separated by two spaces.</summary>
    public static void Table(TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = rows.Select(r => r.Select(c => TerminalText.Escape(c ?? "")).ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Max(TerminalText.Width(h), all.Count == 0 ? 0 : all.Max(r => TerminalText.Width(r[i])))).ToArray();
        WriteRow(output, headers, widths);
        foreach (var row in all)
        {
            WriteRow(output, row, widths);
        }
    }

    private static void WriteRow(TextWriter output, IReadOnlyList<string> cells, int[] widths)
    {
        // Padded by display width, not by UTF-16 length: a CJK name takes two columns per character, an accent none.
        var line = string.Join("  ", cells.Select((c, i) => i == cells.Count - 1 ? c : c + new string(' ', Math.Max(0, widths[i] - TerminalText.Width(c)))));
        output.WriteLine(line.TrimEnd());
    }

    /// <summary>Epoch milliseconds as ISO 8601 UTC.</summary>
    public static string? Time(long? epochMilliseconds) =>
        epochMilliseconds is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) : null;

    public static string? Number(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    public static string? Flag(bool? value) => value switch { true => "yes", false => "no", null => null };

    public static string? List(IEnumerable<string>? values) => values is null ? null : string.Join(", ", values);
}
