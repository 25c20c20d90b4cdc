using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rekey.Tests.OAuth;

/// <summary>
/// Compares a response with a golden JSON file in <c>Golden/</c>. Objects must have exactly the golden keys; fixed
/// values must be equal; these placeholders stand for values that change per run:
/// <list type="bullet">
/// <item><c>"&lt;jwt&gt;"</c> a compact JWS (three base64url parts, JSON header and payload);</item>
/// <item><c>"&lt;integer&gt;"</c> a positive JSON integer; <c>"&lt;epoch-ms&gt;"</c> an integer that is a time in epoch milliseconds;</item>
/// <item><c>"&lt;string&gt;"</c> any non-empty string;</item>
/// <item>any other <c>"&lt;name&gt;"</c> given in the bindings: exactly the bound string (e.g. <c>"&lt;issuer&gt;"</c>);</item>
/// <item><c>{"$json": …}</c> a string that holds JSON matching the inner value (Authlete's <c>responseContent</c>).</item>
/// </list>
/// </summary>
internal static class OAuthGolden
{
    public static void AssertMatches(string fileName, JsonNode? actual, IReadOnlyDictionary<string, string>? bindings = null)
    {
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", fileName)));
        var problems = Differences(expected, actual, bindings);
        Assert.True(problems.Count == 0, $"{fileName} does not match:\n  {string.Join("\n  ", problems)}\nactual: {actual?.ToJsonString()}");
    }

    public static List<string> Differences(JsonNode? expected, JsonNode? actual, IReadOnlyDictionary<string, string>? bindings = null)
    {
        var problems = new List<string>();
        Compare(expected, actual, "$", bindings ?? new Dictionary<string, string>(), problems);
        return problems;
    }

    private static void Compare(JsonNode? expected, JsonNode? actual, string path, IReadOnlyDictionary<string, string> bindings, List<string> problems)
    {
        switch (expected)
        {
            case JsonObject embedded when embedded.Count == 1 && embedded.ContainsKey("$json"):
                if (actual?.GetValueKind() != JsonValueKind.String)
                {
                    problems.Add($"{path}: expected a string holding JSON, got {Show(actual)}");
                    return;
                }

                JsonNode? parsed;
                try
                {
                    parsed = JsonNode.Parse(actual.GetValue<string>());
                }
                catch (JsonException ex)
                {
                    problems.Add($"{path}: not JSON ({ex.Message})");
                    return;
                }

                Compare(embedded["$json"], parsed, path + "<json>", bindings, problems);
                return;

            case JsonObject expectedObject:
                if (actual is not JsonObject actualObject)
                {
                    problems.Add($"{path}: expected an object, got {Show(actual)}");
                    return;
                }

                foreach (var missing in expectedObject.Select(p => p.Key).Except(actualObject.Select(p => p.Key), StringComparer.Ordinal))
                {
                    problems.Add($"{path}.{missing}: missing");
                }

                foreach (var extra in actualObject.Select(p => p.Key).Except(expectedObject.Select(p => p.Key), StringComparer.Ordinal))
                {
                    problems.Add($"{path}.{extra}: not in the golden file ({Show(actualObject[extra])})");
                }

                foreach (var (key, value) in expectedObject)
                {
                    if (actualObject.ContainsKey(key))
                    {
                        Compare(value, actualObject[key], $"{path}.{key}", bindings, problems);
                    }
                }

                return;

            case JsonArray expectedArray:
                if (actual is not JsonArray actualArray || actualArray.Count != expectedArray.Count)
                {
                    problems.Add($"{path}: expected an array of {expectedArray.Count}, got {Show(actual)}");
                    return;
                }

                for (var i = 0; i < expectedArray.Count; i++)
                {
                    Compare(expectedArray[i], actualArray[i], $"{path}[{i}]", bindings, problems);
                }

                return;

            case JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is ['<', .., '>'] placeholder:
                if (Placeholder(placeholder, actual, bindings) is { } problem)
                {
                    problems.Add($"{path}: {problem}");
                }

                return;

            default:
                if (!JsonNode.DeepEquals(expected, actual))
                {
                    problems.Add($"{path}: expected {Show(expected)}, got {Show(actual)}");
                }

                return;
        }
    }

    /// <summary>Null when <paramref name="actual"/> fits the placeholder, otherwise what is wrong.</summary>
    private static string? Placeholder(string placeholder, JsonNode? actual, IReadOnlyDictionary<string, string> bindings)
    {
        var kind = actual?.GetValueKind();
        switch (placeholder)
        {
            case "<integer>":
                return kind == JsonValueKind.Number && actual!.AsValue().TryGetValue<long>(out var n) && n > 0 ? null : $"expected a positive integer, got {Show(actual)}";
            case "<epoch-ms>":
                // 2001-09-09 to 2286-11-20 in milliseconds: a seconds value (10 digits) does not pass.
                return kind == JsonValueKind.Number && actual!.AsValue().TryGetValue<long>(out var ms) && ms is >= 1_000_000_000_000 and < 10_000_000_000_000
                    ? null
                    : $"expected epoch milliseconds, got {Show(actual)}";
            case "<string>":
                return kind == JsonValueKind.String && actual!.GetValue<string>().Length > 0 ? null : $"expected a non-empty string, got {Show(actual)}";
            case "<jwt>":
                return kind == JsonValueKind.String && IsJws(actual!.GetValue<string>()) ? null : $"expected a compact JWS, got {Show(actual)}";
            default:
                if (!bindings.TryGetValue(placeholder, out var bound))
                {
                    return $"unknown placeholder {placeholder}";
                }

                return kind == JsonValueKind.String && actual!.GetValue<string>() == bound ? null : $"expected {placeholder} = \"{bound}\", got {Show(actual)}";
        }
    }

    private static bool IsJws(string value)
    {
        var parts = value.Split('.');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0 || !Base64Url.IsValid(p)))
        {
            return false;
        }

        try
        {
            return JsonNode.Parse(Base64Url.DecodeFromChars(parts[0])) is JsonObject && JsonNode.Parse(Base64Url.DecodeFromChars(parts[1])) is JsonObject;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Show(JsonNode? node) => node?.ToJsonString() ?? "nothing";
}

/// <summary>The comparer must itself be able to fail: each rule is shown catching what it is for.</summary>
public sealed class OAuthGoldenTests
{
    private const string Jws = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";

    private static List<string> Diff(string expected, string actual, IReadOnlyDictionary<string, string>? bindings = null) =>
        OAuthGolden.Differences(JsonNode.Parse(expected), JsonNode.Parse(actual), bindings);

    [Fact]
    public void identical_documents_and_fitting_placeholders_match()
    {
        Assert.Empty(Diff(
            """{"a":"<jwt>","b":"<integer>","c":"<epoch-ms>","d":"<string>","e":"<issuer>","f":{"$json":{"x":[1,"<integer>"]}},"g":"fixed"}""",
            $$"""{"a":"{{Jws}}","b":42,"c":1790000000000,"d":"any","e":"https://rekey.example/oauth2/1","f":"{\"x\":[1,7]}","g":"fixed"}""",
            new Dictionary<string, string> { ["<issuer>"] = "https://rekey.example/oauth2/1" }));
    }

    [Theory]
    [InlineData("""{"a":1}""", """{"a":1,"b":2}""")] // extra key
    [InlineData("""{"a":1,"b":2}""", """{"a":1}""")] // missing key
    [InlineData("""{"a":"OK"}""", """{"a":"ok"}""")] // fixed value
    [InlineData("""{"a":[1,2]}""", """{"a":[1]}""")] // array length
    [InlineData("""{"a":"<integer>"}""", """{"a":"42"}""")] // integer as string
    [InlineData("""{"a":"<integer>"}""", """{"a":1.5}""")]
    [InlineData("""{"a":"<epoch-ms>"}""", """{"a":1790000000}""")] // seconds, not milliseconds
    [InlineData("""{"a":"<string>"}""", """{"a":""}""")]
    [InlineData("""{"a":"<jwt>"}""", """{"a":"not.a.jwt"}""")]
    [InlineData("""{"a":"<issuer>"}""", """{"a":"https://elsewhere.example/"}""")]
    [InlineData("""{"a":"<unbound>"}""", """{"a":"x"}""")]
    [InlineData("""{"a":{"$json":{"x":1}}}""", """{"a":"{\"x\":2}"}""")] // embedded JSON differs
    [InlineData("""{"a":{"$json":{"x":1}}}""", """{"a":{"x":1}}""")] // an object where a JSON string is expected
    public void each_rule_catches_a_difference(string expected, string actual)
    {
        Assert.NotEmpty(Diff(expected, actual, new Dictionary<string, string> { ["<issuer>"] = "https://rekey.example/oauth2/1" }));
    }
}
