using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Sdk;

namespace Rekey.Testing;

/// <summary>Checks of JSON values the way a strict client (zod, Jackson) reads them.</summary>
public static class JsonWire
{
    public const long MinId = 100_000_000_000;
    public const long MaxIdExclusive = 1L << 53;

    /// <summary>Parses <paramref name="json"/>, which the test wrote, as an object.</summary>
    public static JsonObject Object(string json) =>
        JsonNode.Parse(json) as JsonObject ?? throw new XunitException("Not a JSON object: " + json);

    /// <summary>Fails on the first <c>null</c> anywhere in <paramref name="node"/>, naming its JSON path.</summary>
    public static void AssertNoNulls(JsonNode? node, string where)
    {
        if (FindNull(node, "$") is { } path)
        {
            throw new XunitException($"{where}: the response has null at {path}: {node?.ToJsonString()}");
        }
    }

    public static string? FindNull(JsonNode? node, string path) => node switch
    {
        null => path,
        JsonObject obj => obj.Select(p => FindNull(p.Value, path + "." + p.Key)).FirstOrDefault(p => p is not null),
        JsonArray array => array.Select((item, i) => FindNull(item, $"{path}[{i}]")).FirstOrDefault(p => p is not null),
        _ => null,
    };

    /// <summary>True when <paramref name="node"/> is a JSON number written as an integer (no '.', no exponent).</summary>
    public static bool IsInteger(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.ToJsonString().All(c => char.IsAsciiDigit(c) || c == '-');

    public static long Integer(JsonNode? node, string name) =>
        node is not null && IsInteger(node) && long.TryParse(node.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new XunitException($"'{name}' is not a JSON integer: {node?.ToJsonString() ?? "(absent)"}");

    /// <summary>A public ID: a JSON integer of 12 to 16 digits, at least 10^11 and below 2^53.</summary>
    public static long AssertId(JsonNode? node, string name)
    {
        var id = Integer(node, name);
        Assert.True(id is >= MinId and < MaxIdExclusive, $"'{name}' = {id} is outside [10^11, 2^53).");
        return id;
    }

    /// <summary>An epoch-milliseconds timestamp within a minute of the test's clock.</summary>
    public static long AssertRecentEpochMs(JsonNode? node, string name)
    {
        var ms = Integer(node, name);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.True(Math.Abs(now - ms) < 60_000, $"'{name}' = {ms} is not epoch milliseconds near now ({now}).");
        return ms;
    }

    /// <summary>64 random bytes as unpadded base64url: exactly 86 characters of A-Z a-z 0-9 - _.</summary>
    public static void AssertGeneratedSecret(string secret)
    {
        Assert.Equal(86, secret.Length);
        Assert.True(secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'), $"'{secret}' is not base64url.");
        Assert.Equal(64, Convert.FromBase64String(FromBase64Url(secret)).Length);
    }

    private static string FromBase64Url(string s) => s.Replace('-', '+').Replace('_', '/') + "==";
}
