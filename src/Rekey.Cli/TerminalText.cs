using System.Buffers;
using System.Text;

namespace Rekey.Cli;

/// <summary>
/// Text from the server or the user made safe to print on a terminal. A client name stored with <c>ESC[2J</c> or a
/// newline, an identifier typed on the command line, a message that echoes either: printed as they are, such values
/// clear or recolour the screen, move the cursor, or forge a table row. Every line of human output goes through
/// <see cref="Escape"/> (by way of <see cref="Human"/>), and <c>--json</c> output through <see cref="Json"/>.
/// </summary>
internal static class TerminalText
{
    /// <summary>
    /// C0 controls, DEL, C1 controls (a terminal may read U+009B as CSI), the bidirectional embeddings, overrides and
    /// isolates that reorder what is shown (U+202A–U+202E, U+2066–U+2069), and the Unicode line and paragraph
    /// separators. The bidi marks (U+200E, U+200F, U+061C) stay: they only steer neutral characters, and names in
    /// right-to-left scripts use them.
    /// </summary>
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        Range('\u0000', '\u001f') + Range('\u007f', '\u009f') + Range('\u202a', '\u202e') + Range('\u2066', '\u2069') + "\u2028\u2029");

    /// <summary>
    /// The text with every unsafe character written as an escape: <c>\n</c>, <c>\r</c>, <c>\t</c>, otherwise
    /// <c>\uXXXX</c> (<c>\u001b</c> for ESC). Text without one is returned as it is. Backslashes are left alone: this is
    /// for reading on a screen, not a reversible encoding (<c>--json</c> gives the exact value).
    /// </summary>
    public static string Escape(string text) => Replace(text, c => c switch
    {
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        _ => $"\\u{(int)c:x4}",
    });

    /// <summary>
    /// JSON text with no unsafe character left and the same meaning. In valid JSON a raw tab, CR or LF can only be
    /// whitespace between tokens (inside a string it must be escaped), so it becomes a space; any other unsafe
    /// character can only be inside a string, so it becomes its <c>\uXXXX</c> escape. The Rekey server escapes all of
    /// them already, so its bodies come out byte for byte.
    /// </summary>
    public static string Json(string json) => Replace(json, c => c is '\t' or '\n' or '\r' ? " " : $"\\u{(int)c:X4}");

    private static string Replace(string text, Func<char, string> replacement)
    {
        var first = text.AsSpan().IndexOfAny(Unsafe);
        if (first < 0)
        {
            return text;
        }

        var safe = new StringBuilder(text.Length + 16).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (Unsafe.Contains(c))
            {
                safe.Append(replacement(c));
            }
            else
            {
                safe.Append(c);
            }
        }

        return safe.ToString();
    }

    private static string Range(char from, char to) => new([.. Enumerable.Range(from, to - from + 1).Select(i => (char)i)]);
}
