using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace Rekey.Tests.Golden;

/// <summary>
/// Compares a response with a golden JSON file under <c>Golden/</c>. Everything must match exactly: the set of
/// property names of every object (none missing, none extra), array lengths, every literal string, number (as
/// written) and boolean. Values that differ from run to run are written as placeholders:
/// <list type="table">
/// <item><term><c>"&lt;integer&gt;"</c></term><description>a JSON integer (no fraction, no exponent)</description></item>
/// <item><term><c>"&lt;id&gt;"</c></term><description>a JSON integer in [10^11, 2^53)</description></item>
/// <item><term><c>"&lt;epoch-ms&gt;"</c></term><description>a JSON integer, epoch milliseconds within a day of now</description></item>
/// <item><term><c>"&lt;secret86&gt;"</c></term><description>a string of exactly 86 characters of A-Z a-z 0-9 - _</description></item>
/// <item><term><c>"&lt;secret&gt;"</c></term><description>a string of 1 to 86 characters of A-Z a-z 0-9 - _</description></item>
/// <item><term><c>"&lt;string&gt;"</c></term><description>any string</description></item>
/// </list>
/// A placeholder that is the whole value also fixes the JSON type (<c>"&lt;id&gt;"</c> never matches the string
/// <c>"123456789012"</c>). Placeholders may also sit inside a string (<c>"(ID = &lt;id&gt;)"</c>) and then match text.
/// A name after a colon binds the value: <c>&lt;id:client&gt;</c> must be the same everywhere it appears, and the
/// test may bind it beforehand to a value it knows.
/// </summary>
public static partial class GoldenJson
{
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    /// <summary>The placeholder kinds, with the text each one matches inside a string.</summary>
    public static IReadOnlyDictionary<string, string> Kinds { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["integer"] = "-?[0-9]+",
        ["id"] = "[0-9]+",
        ["epoch-ms"] = "[0-9]+",
        ["secret86"] = "[A-Za-z0-9_-]{86}",
        ["secret"] = "[A-Za-z0-9_-]{1,86}",
        ["string"] = "[\\s\\S]*?",
    };

    private static readonly HashSet<string> NumberKinds = new(StringComparer.Ordinal) { "integer", "id", "epoch-ms" };

    [GeneratedRegex("<([a-z0-9-]+)(?::([A-Za-z0-9_]+))?>")]
    private static partial Regex Placeholder();

    /// <summary>Fails with every difference between <c>Golden/<paramref name="file"/></c> and <paramref name="actual"/>.</summary>
    public static void AssertMatches(string file, JsonNode? actual, IReadOnlyDictionary<string, string>? bindings = null)
    {
        var golden = Load(file);
        var differences = Compare(golden, actual, bindings);
        if (differences.Count > 0)
        {
            throw new XunitException($"The response does not match Golden/{file}:\n  " + string.Join("\n  ", differences) +
                "\nactual: " + actual?.ToJsonString());
        }
    }

    public static JsonNode? Load(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", file), Encoding.UTF8), documentOptions: Strict);

    /// <summary>Every difference, each with its JSON path; empty when <paramref name="actual"/> matches.</summary>
    public static IReadOnlyList<string> Compare(JsonNode? golden, JsonNode? actual, IReadOnlyDictionary<string, string>? bindings = null)
    {
        var comparison = new Comparison(bindings);
        comparison.Node(golden, actual, "$");
        return comparison.Differences;
    }

    private sealed class Comparison(IReadOnlyDictionary<string, string>? bindings)
    {
        private readonly Dictionary<string, string> _bound = new(bindings ?? new Dictionary<string, string>(), StringComparer.Ordinal);

        public List<string> Differences { get; } = [];

        private void Differ(string path, string what) => Differences.Add($"{path}: {what}");

        public void Node(JsonNode? golden, JsonNode? actual, string path)
        {
            switch (golden)
            {
                case null:
                    if (actual is not null)
                    {
                        Differ(path, $"expected null, got {actual.ToJsonString()}");
                    }

                    break;
                case JsonObject g:
                    if (actual is not JsonObject a)
                    {
                        Differ(path, $"expected an object, got {Show(actual)}");
                        break;
                    }

                    foreach (var missing in g.Select(p => p.Key).Where(k => !a.ContainsKey(k)))
                    {
                        Differ(path, $"property '{missing}' is missing");
                    }

                    foreach (var extra in a.Select(p => p.Key).Where(k => !g.ContainsKey(k)))
                    {
                        Differ(path, $"property '{extra}' is not in the golden file");
                    }

                    foreach (var (name, value) in g.Where(p => a.ContainsKey(p.Key)))
                    {
                        Node(value, a[name], path + "." + name);
                    }

                    break;
                case JsonArray g:
                    if (actual is not JsonArray arr)
                    {
                        Differ(path, $"expected an array, got {Show(actual)}");
                        break;
                    }

                    if (g.Count != arr.Count)
                    {
                        Differ(path, $"expected {g.Count} items, got {arr.Count}");
                        break;
                    }

                    for (var i = 0; i < g.Count; i++)
                    {
                        Node(g[i], arr[i], $"{path}[{i}]");
                    }

                    break;
                case JsonValue g when g.GetValueKind() == JsonValueKind.String:
                    Text(g.GetValue<string>(), actual, path);
                    break;
                default:
                    if (actual is not JsonValue || actual.GetValueKind() != golden.GetValueKind() || actual.ToJsonString() != golden.ToJsonString())
                    {
                        Differ(path, $"expected {golden.ToJsonString()}, got {Show(actual)}");
                    }

                    break;
            }
        }

        private void Text(string golden, JsonNode? actual, string path)
        {
            var placeholders = Placeholder().Matches(golden);
            foreach (var unknown in placeholders.Select(m => m.Groups[1].Value).Where(k => !Kinds.ContainsKey(k)))
            {
                Differ(path, $"the golden file uses an unknown placeholder kind '<{unknown}>'");
                return;
            }

            var whole = placeholders.Count == 1 && placeholders[0].Length == golden.Length ? placeholders[0] : null;
            if (whole is not null && NumberKinds.Contains(whole.Groups[1].Value))
            {
                if (actual is not JsonValue number || number.GetValueKind() != JsonValueKind.Number)
                {
                    Differ(path, $"expected a JSON number for {golden}, got {Show(actual)}");
                    return;
                }

                Value(whole, number.ToJsonString(), path);
                return;
            }

            if (actual is not JsonValue text || text.GetValueKind() != JsonValueKind.String)
            {
                Differ(path, $"expected a JSON string matching \"{golden}\", got {Show(actual)}");
                return;
            }

            var value = text.GetValue<string>();
            if (placeholders.Count == 0)
            {
                if (value != golden)
                {
                    Differ(path, $"expected \"{golden}\", got \"{value}\"");
                }

                return;
            }

            var pattern = new StringBuilder("^");
            var at = 0;
            foreach (Match m in placeholders)
            {
                pattern.Append(Regex.Escape(golden[at..m.Index])).Append('(').Append(Kinds[m.Groups[1].Value]).Append(')');
                at = m.Index + m.Length;
            }

            pattern.Append(Regex.Escape(golden[at..])).Append('$');
            var match = Regex.Match(value, pattern.ToString(), RegexOptions.CultureInvariant);
            if (!match.Success)
            {
                Differ(path, $"\"{value}\" does not match \"{golden}\"");
                return;
            }

            for (var i = 0; i < placeholders.Count; i++)
            {
                Value(placeholders[i], match.Groups[i + 1].Value, path);
            }
        }

        /// <summary>Checks one placeholder's matched text against its kind and its binding.</summary>
        private void Value(Match placeholder, string text, string path)
        {
            var kind = placeholder.Groups[1].Value;
            if (!Regex.IsMatch(text, "^(" + Kinds[kind] + ")$", RegexOptions.CultureInvariant))
            {
                Differ(path, $"'{text}' is not {placeholder.Value}");
                return;
            }

            if (kind is "id" or "epoch-ms")
            {
                var n = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var ok = kind == "id" ? n is >= 100_000_000_000 and < 1L << 53 : n >= 0 && Math.Abs(now - n) < 86_400_000;
                if (!ok)
                {
                    Differ(path, $"{text} is not {placeholder.Value}");
                    return;
                }
            }

            var name = placeholder.Groups[2].Value;
            if (name.Length == 0)
            {
                return;
            }

            if (_bound.TryGetValue(name, out var bound))
            {
                if (bound != text)
                {
                    Differ(path, $"'{text}' differs from the value '{bound}' bound to {placeholder.Value}");
                }
            }
            else
            {
                _bound[name] = text;
            }
        }

        private static string Show(JsonNode? node) => node?.ToJsonString() ?? "null";
    }
}
