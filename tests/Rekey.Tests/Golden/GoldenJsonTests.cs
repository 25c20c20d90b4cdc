using System.Text.Json.Nodes;

namespace Rekey.Tests.Golden;

/// <summary>The golden comparer must fail on every kind of difference, or the golden tests prove nothing.</summary>
public sealed class GoldenJsonTests
{
    private static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static IReadOnlyList<string> Diff(string golden, string actual, IReadOnlyDictionary<string, string>? bindings = null) =>
        GoldenJson.Compare(JsonNode.Parse(golden), JsonNode.Parse(actual), bindings);

    private static void Matches(string golden, string actual, IReadOnlyDictionary<string, string>? bindings = null) =>
        Assert.Empty(Diff(golden, actual, bindings));

    private static void Differs(string golden, string actual, string expectedFragment, IReadOnlyDictionary<string, string>? bindings = null)
    {
        var differences = Diff(golden, actual, bindings);
        Assert.NotEmpty(differences);
        Assert.Contains(differences, d => d.Contains(expectedFragment, StringComparison.Ordinal));
    }

    [Fact]
    public void identical_literals_match() =>
        Matches("""{"a":"x","b":1,"c":true,"d":[1,{"e":"f"}],"g":{}}""", """{"g":{},"d":[1,{"e":"f"}],"c":true,"b":1,"a":"x"}""");

    [Fact]
    public void a_missing_property_is_a_difference() => Differs("""{"a":1,"b":2}""", """{"a":1}""", "'b' is missing");

    [Fact]
    public void an_extra_property_is_a_difference() => Differs("""{"a":1}""", """{"a":1,"b":2}""", "'b' is not in the golden file");

    [Fact]
    public void an_extra_nested_property_is_a_difference() => Differs("""{"a":{"b":1}}""", """{"a":{"b":1,"c":null}}""", "$.a: property 'c'");

    [Fact]
    public void a_different_literal_string_is_a_difference() => Differs("""{"a":"x"}""", """{"a":"y"}""", "$.a");

    [Theory]
    [InlineData("1", "2")]
    [InlineData("1", "1.0")]
    [InlineData("1", "\"1\"")]
    [InlineData("true", "false")]
    [InlineData("true", "\"true\"")]
    [InlineData("\"x\"", "null")]
    [InlineData("[1]", "[1,2]")]
    [InlineData("[1,2]", "[2,1]")]
    [InlineData("{}", "[]")]
    [InlineData("[]", "{}")]
    public void a_different_value_or_type_is_a_difference(string golden, string actual) =>
        Assert.NotEmpty(Diff($$"""{"v":{{golden}}}""", $$"""{"v":{{actual}}}"""));

    [Theory]
    [InlineData("5")]
    [InlineData("-5")]
    [InlineData("0")]
    public void an_integer_placeholder_matches_json_integers(string value) => Matches("""{"v":"<integer>"}""", $$"""{"v":{{value}}}""");

    [Theory]
    [InlineData("\"5\"")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("5.0")]
    [InlineData("true")]
    [InlineData("null")]
    public void an_integer_placeholder_refuses_anything_else(string value) => Assert.NotEmpty(Diff("""{"v":"<integer>"}""", $$"""{"v":{{value}}}"""));

    [Theory]
    [InlineData("100000000000", true)]
    [InlineData("9007199254740991", true)]
    [InlineData("99999999999", false)]
    [InlineData("9007199254740992", false)]
    [InlineData("\"123456789012\"", false)]
    public void an_id_placeholder_matches_integers_in_10_to_the_11_up_to_2_to_the_53(string value, bool matches) =>
        Assert.Equal(matches, Diff("""{"v":"<id>"}""", $$"""{"v":{{value}}}""").Count == 0);

    [Fact]
    public void an_epoch_ms_placeholder_matches_now_but_not_zero_or_seconds()
    {
        Matches("""{"v":"<epoch-ms>"}""", $$"""{"v":{{Now}}}""");
        Assert.NotEmpty(Diff("""{"v":"<epoch-ms>"}""", """{"v":0}"""));
        Assert.NotEmpty(Diff("""{"v":"<epoch-ms>"}""", $$"""{"v":{{Now / 1000}}}"""));
    }

    [Fact]
    public void a_secret86_placeholder_matches_exactly_86_base64url_characters()
    {
        var secret = new string('A', 43) + new string('-', 20) + new string('_', 23);
        Matches("""{"v":"<secret86>"}""", $$"""{"v":"{{secret}}"}""");
        Assert.NotEmpty(Diff("""{"v":"<secret86>"}""", $$"""{"v":"{{secret[..85]}}"}"""));
        Assert.NotEmpty(Diff("""{"v":"<secret86>"}""", $$"""{"v":"{{secret}}A"}"""));
        Assert.NotEmpty(Diff("""{"v":"<secret86>"}""", $$"""{"v":"{{secret[..85]}}+"}"""));
        Assert.NotEmpty(Diff("""{"v":"<secret86>"}""", """{"v":12}"""));
    }

    [Fact]
    public void a_string_placeholder_matches_any_string_but_no_other_type()
    {
        Matches("""{"v":"<string>"}""", """{"v":""}""");
        Matches("""{"v":"<string>"}""", """{"v":"anything at all"}""");
        Assert.NotEmpty(Diff("""{"v":"<string>"}""", """{"v":1}"""));
    }

    [Fact]
    public void placeholders_inside_a_string_match_only_their_part()
    {
        const string golden = """{"m":"[A149001] Updated the client (ID = <id>)."}""";
        Matches(golden, """{"m":"[A149001] Updated the client (ID = 123456789012)."}""");
        Differs(golden, """{"m":"[A149001] Updated the client (ID = 12345)."}""", "is not <id>");
        Differs(golden, """{"m":"[A149001] Updated a client (ID = 123456789012)."}""", "does not match");
        Differs(golden, """{"m":"[A149001] Updated the client (ID = 123456789012). "}""", "does not match");
    }

    [Fact]
    public void a_named_placeholder_must_have_the_same_value_everywhere()
    {
        const string golden = """{"a":"<epoch-ms:t>","b":"<epoch-ms:t>","m":"id <id:c>","c":"<id:c>"}""";
        Matches(golden, $$"""{"a":{{Now}},"b":{{Now}},"m":"id 123456789012","c":123456789012}""");
        Differs(golden, $$"""{"a":{{Now}},"b":{{Now + 1}},"m":"id 123456789012","c":123456789012}""", "bound to <epoch-ms:t>");
        Differs(golden, $$"""{"a":{{Now}},"b":{{Now}},"m":"id 123456789012","c":123456789013}""", "bound to <id:c>");
    }

    [Fact]
    public void a_binding_given_by_the_test_must_be_met()
    {
        var bindings = new Dictionary<string, string> { ["c"] = "123456789012" };
        Matches("""{"c":"<id:c>"}""", """{"c":123456789012}""", bindings);
        Differs("""{"c":"<id:c>"}""", """{"c":123456789099}""", "bound to <id:c>", bindings);
    }

    [Fact]
    public void an_unknown_placeholder_kind_is_reported_as_a_mistake_in_the_golden_file() =>
        Differs("""{"v":"<interger>"}""", """{"v":5}""", "unknown placeholder kind");

    private static string[] GoldenFileNames() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Golden"), "*.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

    public static TheoryData<string> GoldenFiles => new(GoldenFileNames());

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public void every_golden_file_is_an_object_without_null_and_uses_known_placeholders(string file)
    {
        var golden = GoldenJson.Load(file);

        Assert.IsType<JsonObject>(golden);
        Assert.Null(JsonWire.FindNull(golden, "$"));
        var text = golden.ToJsonString();
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, "<([a-z0-9-]+)(?::[A-Za-z0-9_]+)?>"))
        {
            Assert.Contains(m.Groups[1].Value, GoldenJson.Kinds.Keys);
        }
    }

    [Fact]
    public void the_five_wire_golden_files_exist() =>
        Assert.Subset(GoldenFileNames().ToHashSet(), new HashSet<string> { "client-create.json", "error-secret-too-long.json", "lock-flag.json", "secret-refresh.json", "secret-update.json" });
}
