using Rekey.Contracts;

namespace Rekey.Tests.Contracts;

/// <summary>The one definition of a valid caller-chosen secret: 1 to 86 characters of A-Z a-z 0-9 - _.</summary>
public sealed class ClientSecretRulesTests
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static string IllegalAt(int position) =>
        $"[A149205] 'clientSecret' has an illegal character at position {position} (1-based); allowed are A-Z, a-z, 0-9, '-' and '_'.";

    [Fact]
    public void the_maximum_is_86_the_length_of_64_bytes_in_unpadded_base64url()
    {
        Assert.Equal(86, ClientSecretRules.MaxLength);
        Assert.Equal(86, Convert.ToBase64String(new byte[64]).TrimEnd('=').Length);
    }

    [Fact]
    public void null_is_a_missing_secret() =>
        Assert.Equal(RuleViolation.Of(ResultCodes.SecretMissing), ClientSecretRules.Check(null));

    [Fact]
    public void the_empty_string_is_refused_as_empty()
    {
        var violation = ClientSecretRules.Check("");

        Assert.Equal(ResultCodes.SecretEmpty, violation?.Code);
        Assert.Equal("[A149203] 'clientSecret' must not be empty.", violation?.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(43)]
    [InlineData(85)]
    [InlineData(86)]
    public void a_secret_of_1_to_86_allowed_characters_is_valid(int length) =>
        Assert.Null(ClientSecretRules.Check(string.Concat(Enumerable.Repeat(Alphabet, 2))[..length]));

    [Fact]
    public void every_allowed_character_alone_is_a_valid_secret() =>
        Assert.All(Alphabet, c => Assert.Null(ClientSecretRules.Check(c.ToString())));

    [Theory]
    [InlineData(87)]
    [InlineData(88)]
    [InlineData(1000)]
    [InlineData(100_000)]
    public void a_secret_over_86_characters_is_refused_naming_its_length(int length)
    {
        var violation = ClientSecretRules.Check(new string('a', length));

        Assert.Equal(ResultCodes.SecretTooLong, violation?.Code);
        Assert.Equal($"[A149204] 'clientSecret' is {length} characters long; the maximum is 86.", violation?.Message);
    }

    [Fact]
    public void exactly_the_64_characters_of_the_alphabet_are_allowed_out_of_all_65536_utf16_code_units()
    {
        var allowed = Enumerable.Range(0, 0x10000).Select(i => (char)i).Where(ClientSecretRules.IsAllowedCharacter).ToArray();

        Assert.Equal(Alphabet.Order(), allowed.Order());
    }

    [Fact]
    public void every_other_utf16_code_unit_is_refused_at_its_position()
    {
        for (var i = 0; i < 0x10000; i++)
        {
            var c = (char)i;
            if (Alphabet.Contains(c, StringComparison.Ordinal))
            {
                continue;
            }

            var violation = ClientSecretRules.Check("ab" + c + "cd");
            Assert.True(violation?.Code == ResultCodes.SecretIllegalCharacter && violation.Message == IllegalAt(3), $"U+{i:X4}: {violation?.Message ?? "accepted"}");
        }
    }

    [Theory]
    [InlineData(" ", 1)]
    [InlineData("+", 1)]
    [InlineData("/", 1)]
    [InlineData("=", 1)]
    [InlineData(".", 1)]
    [InlineData("~", 1)]
    [InlineData("abc ", 4)]
    [InlineData("abc+def", 4)]
    [InlineData("abc/def", 4)]
    [InlineData("abcdef==", 7)]
    [InlineData("a.b", 2)]
    [InlineData("a\tb", 2)]
    [InlineData("a\0b", 2)]
    [InlineData("a\u00A0b", 2)]
    [InlineData("a\u200Bb", 2)]
    [InlineData("caf\u00E9", 4)]
    [InlineData("stra\u00DFe", 5)]
    [InlineData("\u0410BC", 1)]
    [InlineData("\uFF21BC", 1)]
    [InlineData("12\u06633", 3)]
    [InlineData("a b+c", 2)]
    public void an_illegal_character_is_refused_naming_its_1_based_position_never_itself(string secret, int position)
    {
        var violation = ClientSecretRules.Check(secret);

        Assert.Equal(ResultCodes.SecretIllegalCharacter, violation?.Code);
        Assert.Equal(IllegalAt(position), violation?.Message);
    }

    [Fact]
    public void an_illegal_character_at_position_86_is_found()
    {
        var violation = ClientSecretRules.Check(new string('a', 85) + "!");

        Assert.Equal(IllegalAt(86), violation?.Message);
    }

    [Theory]
    [InlineData("\U0001F600", 1)]
    [InlineData("ab\U0001F600", 3)]
    [InlineData("ab\U0001F600cd", 3)]
    [InlineData("\uD800", 1)]
    [InlineData("ab\uDC00", 3)]
    public void an_emoji_or_a_lone_surrogate_is_refused_at_the_position_of_its_first_code_unit(string secret, int position) =>
        Assert.Equal(IllegalAt(position), ClientSecretRules.Check(secret)?.Message);

    [Fact]
    public void length_counts_utf16_code_units_so_an_emoji_at_the_end_of_85_characters_is_too_long()
    {
        Assert.Equal(ResultCodes.SecretTooLong, ClientSecretRules.Check(new string('a', 85) + "\U0001F600")?.Code);
        Assert.Equal(IllegalAt(85), ClientSecretRules.Check(new string('a', 84) + "\U0001F600")?.Message);
    }

    [Fact]
    public void a_secret_that_is_too_long_and_illegal_reports_the_length()
    {
        Assert.Equal(ResultCodes.SecretTooLong, ClientSecretRules.Check("+" + new string('a', 86))?.Code);
    }

    [Fact]
    public void no_message_of_a_refusal_contains_the_secret()
    {
        string[] secrets = ["refused secret with spaces", "refused+plus/slash=", new string('Q', 87) + "too-long", "caf\u00E9-refused"];

        Assert.All(secrets, s => Assert.DoesNotContain(s, ClientSecretRules.Check(s)?.Message ?? "accepted " + s, StringComparison.Ordinal));
    }
}
