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

    /// <summary>
    /// A token or secret shown in a listing: its length and, for an API token, the fixed <c>rk_</c> that says what kind
    /// it is. None of its random characters: a listing is pasted into tickets and screenshots.
    /// </summary>
    public static string Mask(string? secret) =>
        secret is null ? "(none)" : $"{(secret.StartsWith("rk_", StringComparison.Ordinal) ? "rk_" : "")}**** ({secret.Length} characters)";

    /// <summary>
    /// The columns <paramref name="text"/> takes on a terminal: East Asian wide and fullwidth characters and emoji take
    /// two, combining marks, format characters (zero-width joiner, variation selectors) and controls none, others one
    /// (what <c>wcwidth</c> answers, from the Unicode categories and the wide ranges of UAX #11).
    /// </summary>
    public static int Width(string text)
    {
        var width = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            width += Width(rune);
        }

        return width;
    }

    private static int Width(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        if (category is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.EnclosingMark
            or System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.Control
            || rune.Value is >= 0x1160 and <= 0x11FF)
        {
            return 0;
        }

        return rune.Value switch
        {
            >= 0x1100 and <= 0x115F => 2,                       // Hangul Jamo initial consonants
            >= 0x231A and <= 0x231B or >= 0x23E9 and <= 0x23EC or 0x23F0 or 0x23F3 => 2,
            >= 0x25FD and <= 0x25FE or >= 0x2614 and <= 0x2615 or >= 0x2648 and <= 0x2653 => 2,
            0x267F or 0x2693 or 0x26A1 or >= 0x26AA and <= 0x26AB or >= 0x26BD and <= 0x26BE => 2,
            >= 0x26C4 and <= 0x26C5 or 0x26CE or 0x26D4 or 0x26EA or >= 0x26F2 and <= 0x26F3 or 0x26F5 or 0x26FA or 0x26FD => 2,
            0x2705 or >= 0x270A and <= 0x270B or 0x2728 or 0x274C or 0x274E or >= 0x2753 and <= 0x2755 or 0x2757 => 2,
            >= 0x2795 and <= 0x2797 or 0x27B0 or 0x27BF or >= 0x2B1B and <= 0x2B1C or 0x2B50 or 0x2B55 => 2,
            >= 0x2E80 and <= 0x303E => 2,                       // CJK radicals, Kangxi, ideographic punctuation
            >= 0x3041 and <= 0x33FF => 2,                       // kana, bopomofo, CJK compatibility
            >= 0x3400 and <= 0x4DBF => 2,                       // CJK extension A
            >= 0x4E00 and <= 0x9FFF => 2,                       // CJK unified ideographs
            >= 0xA000 and <= 0xA4CF => 2,                       // Yi
            >= 0xA960 and <= 0xA97F => 2,                       // Hangul Jamo extended A
            >= 0xAC00 and <= 0xD7A3 => 2,                       // Hangul syllables
            >= 0xF900 and <= 0xFAFF => 2,                       // CJK compatibility ideographs
            >= 0xFE10 and <= 0xFE19 or >= 0xFE30 and <= 0xFE6F => 2, // vertical forms, small forms
            >= 0xFF00 and <= 0xFF60 or >= 0xFFE0 and <= 0xFFE6 => 2, // fullwidth forms
            >= 0x16FE0 and <= 0x18AFF or >= 0x1B000 and <= 0x1B2FF => 2, // Tangut, kana supplement
            0x1F004 or 0x1F0CF or 0x1F18E or >= 0x1F191 and <= 0x1F19A => 2,
            >= 0x1F200 and <= 0x1F251 => 2,
            >= 0x1F300 and <= 0x1F64F => 2,                     // pictographs, emoticons
            >= 0x1F680 and <= 0x1F6FF => 2,                     // transport and map
            >= 0x1F7E0 and <= 0x1F7EB => 2,
            >= 0x1F90C and <= 0x1F9FF or >= 0x1FA70 and <= 0x1FAFF => 2, // supplemental symbols and pictographs
            >= 0x20000 and <= 0x3FFFD => 2,                     // CJK extensions B and later
            _ => 1,
        };
    }

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
