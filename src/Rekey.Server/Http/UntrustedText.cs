using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rekey.Server.Http;

/// <summary>
/// Text that came from a request, made safe to put on a log line, in an audit record or on a terminal, and the
/// rule for the text properties of stored documents (names, descriptions) that must hold no control character.
/// </summary>
internal static class UntrustedText
{
    /// <summary>How much of an identifier a log line shows: every client ID and most aliases whole, never a flood's worth.</summary>
    public const int LogLength = 64;

    /// <summary>
    /// At most <paramref name="maxLength"/> characters of <paramref name="text"/>, escaped, then "…(N chars)" when
    /// something was cut. Escaped: C0 controls, DEL and C1 controls (<c>\n</c>, <c>\r</c>, <c>\t</c>, else
    /// <c>\uXXXX</c>), the Unicode line and paragraph separators, the bidirectional overrides and isolates (they
    /// reorder what a terminal shows), lone surrogates, and the backslash itself, so that no input can end a log
    /// line, forge the next one, recolour a terminal, or pass itself off as an escape. The result is pure text of
    /// bounded length: <paramref name="maxLength"/> × 6 plus the marker at worst.
    /// </summary>
    public static string Printable(string? text, int maxLength = LogLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var cut = text.Length > maxLength;
        var shown = cut ? text.AsSpan(0, maxLength) : text.AsSpan();
        if (!cut && shown.IndexOfAny(Escaped) < 0)
        {
            return text;
        }

        var builder = new StringBuilder(shown.Length + 16);
        for (var i = 0; i < shown.Length; i++)
        {
            var c = shown[i];
            if (char.IsHighSurrogate(c) && i + 1 < shown.Length && char.IsLowSurrogate(shown[i + 1]))
            {
                builder.Append(c).Append(shown[++i]);
                continue;
            }

            _ = c switch
            {
                '\\' => builder.Append(@"\\"),
                '\n' => builder.Append(@"\n"),
                '\r' => builder.Append(@"\r"),
                '\t' => builder.Append(@"\t"),
                _ when MustEscape(c) => builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
                _ => builder.Append(c),
            };
        }

        if (cut)
        {
            builder.Append(CultureInfo.InvariantCulture, $"…({text.Length} chars)");
        }

        return builder.ToString();
    }

    /// <summary>C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F): exactly <see cref="char.IsControl(char)"/>.</summary>
    public static bool HasControlCharacter(string text) => text.AsSpan().IndexOfAny(Controls) >= 0;

    /// <summary>
    /// The first of <paramref name="properties"/> of <paramref name="document"/> whose text holds a control character,
    /// as the caller named it (<c>clientName</c>, <c>clientNames[1].value</c>), or null. A property is a string, or
    /// an array of strings or of Authlete's tagged values (<c>{"tag":"ja","value":"…"}</c>); anything else is left
    /// to the rules that own its type.
    /// </summary>
    public static string? FirstWithControlCharacter(JsonObject document, params ReadOnlySpan<string> properties)
    {
        foreach (var name in properties)
        {
            switch (document[name])
            {
                case JsonValue value when IsControlledString(value):
                    return name;
                case JsonArray items:
                    for (var i = 0; i < items.Count; i++)
                    {
                        if (items[i] is JsonValue item && IsControlledString(item))
                        {
                            return string.Create(CultureInfo.InvariantCulture, $"{name}[{i}]");
                        }

                        if (items[i] is JsonObject tagged && FirstWithControlCharacter(tagged, "tag", "value") is { } inner)
                        {
                            return string.Create(CultureInfo.InvariantCulture, $"{name}[{i}].{inner}");
                        }
                    }

                    break;
            }
        }

        return null;
    }

    private static bool IsControlledString(JsonValue value) =>
        value.GetValueKind() == JsonValueKind.String && HasControlCharacter(value.GetValue<string>());

    private static bool MustEscape(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    private static readonly System.Buffers.SearchValues<char> Controls = System.Buffers.SearchValues.Create(
        Enumerable.Range(0, 0xA0).Select(i => (char)i).Where(char.IsControl).ToArray());

    // Every character Printable changes (surrogates included: a pair is kept, a lone one escaped), for its fast path.
    private static readonly System.Buffers.SearchValues<char> Escaped = System.Buffers.SearchValues.Create(
        Enumerable.Range(0, char.MaxValue + 1).Select(i => (char)i).Where(c => c == '\\' || MustEscape(c)).ToArray());
}
