using System.Text;
using System.Text.RegularExpressions;
using Rekey.Contracts;

namespace Rekey.Tests.Contracts;

/// <summary>
/// The IDENTIFIABLE format: a prefix, 43 base62 characters of CSPRNG output and a 6-character base62 CRC-32, one
/// implementation for the server, the SDK and the CLI. The checksum is recomputed here bit by bit, without the table.
/// </summary>
public sealed class IdentifiableSecretTests
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Characters that are allowed in an Authlete secret, or anywhere, but not in the body or checksum.</summary>
    private const string NotBase62 = "-_. +/=\0\n\u00E9\u0410";

    private const int Many = 2000;

    /// <summary>
    /// A secret written out by hand: the prefix, a body of the 43 first base62 characters, and the CRC-32 of the two
    /// (0x10F35FC1, from Python's zlib.crc32) as six base62 digits.
    /// </summary>
    private const string Golden = "rks_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg0JFFaL";

    private static readonly Lazy<string[]> Generated = new(() => [.. Enumerable.Range(0, Many).Select(_ => IdentifiableSecret.Generate())]);

    // ---- shape -------------------------------------------------------------------------------------

    [Fact]
    public void a_secret_with_the_default_prefix_is_53_characters()
    {
        Assert.Equal("rks_", IdentifiableSecret.DefaultPrefix);
        Assert.Equal(53, IdentifiableSecret.Length());
        Assert.All(Generated.Value, s => Assert.Equal(53, s.Length));
    }

    [Fact]
    public void generated_secrets_match_the_exact_pattern_and_the_search_pattern()
    {
        var exact = new Regex(IdentifiableSecret.ExactPattern(), RegexOptions.CultureInvariant);
        var search = new Regex(IdentifiableSecret.Pattern(), RegexOptions.CultureInvariant);
        var plain = new Regex(IdentifiableSecret.PlainPattern(), RegexOptions.CultureInvariant);

        Assert.All(Generated.Value, s =>
        {
            Assert.Matches(exact, s);
            Assert.Equal(s, search.Match(s).Value);
            Assert.Equal(s, plain.Match(s).Value);
        });
    }

    [Fact]
    public void generated_secrets_follow_authletes_rules_and_check_as_well_formed()
    {
        Assert.All(Generated.Value, s =>
        {
            Assert.Null(ClientSecretRules.Check(s));
            Assert.Equal(IdentifiableSecretProblem.None, IdentifiableSecret.Check(s));
            Assert.True(IdentifiableSecret.IsValid(s));
        });
    }

    [Fact]
    public void generated_secrets_are_all_different_and_start_with_the_prefix()
    {
        Assert.Equal(Many, Generated.Value.Distinct(StringComparer.Ordinal).Count());
        Assert.All(Generated.Value, s => Assert.StartsWith("rks_", s, StringComparison.Ordinal));
    }

    [Fact]
    public void the_body_characters_are_uniform_over_the_62()
    {
        var counts = new int[62];
        var perPosition = new HashSet<char>[IdentifiableSecret.BodyLength];
        for (var i = 0; i < perPosition.Length; i++)
        {
            perPosition[i] = [];
        }

        foreach (var secret in Generated.Value)
        {
            for (var i = 0; i < IdentifiableSecret.BodyLength; i++)
            {
                var c = secret[4 + i];
                counts[Base62.IndexOf(c, StringComparison.Ordinal)]++;
                perPosition[i].Add(c);
            }
        }

        // 86,000 draws over 62 values: chi-square has 61 degrees of freedom, mean 61 and standard deviation 11; a bias
        // as small as the one of b % 62 on a whole byte (8 characters drawn with 5/256 instead of 4/256) gives ~570.
        double expected = Many * IdentifiableSecret.BodyLength / 62.0;
        var chiSquare = counts.Sum(n => (n - expected) * (n - expected) / expected);
        Assert.True(chiSquare < 150, $"chi-square {chiSquare:F1} over 61 degrees of freedom; counts {string.Join(",", counts)}");

        // No position is stuck or narrowed: 2,000 draws miss one of 62 values with probability about 62 × e^-32.
        Assert.All(perPosition, seen => Assert.Equal(62, seen.Count));
    }

    // ---- the checksum ------------------------------------------------------------------------------

    [Fact]
    public void crc32_of_123456789_is_the_standard_check_value()
    {
        Assert.Equal(0xCBF43926u, IdentifiableSecret.Crc32("123456789"));
        Assert.Equal(0xCBF43926u, BitwiseCrc32("123456789"));
        Assert.Equal(0u, IdentifiableSecret.Crc32(""));
    }

    [Fact]
    public void crc32_agrees_with_a_bitwise_crc32_on_random_text()
    {
        var random = new Random(20261204);
        for (var n = 0; n < 500; n++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 120)).Select(_ => (char)random.Next(0x20, 0x7F))]);
            Assert.Equal(BitwiseCrc32(text), IdentifiableSecret.Crc32(text));
        }
    }

    [Fact]
    public void the_golden_secret_has_the_checksum_computed_independently()
    {
        Assert.Equal(0x10F35FC1u, BitwiseCrc32(Golden[..47]));
        Assert.Equal("0JFFaL", Base62Checksum(BitwiseCrc32(Golden[..47])));
        Assert.EndsWith("0JFFaL", Golden, StringComparison.Ordinal);
        Assert.Equal(IdentifiableSecretProblem.None, IdentifiableSecret.Check(Golden));
    }

    [Fact]
    public void every_generated_checksum_is_the_bitwise_crc32_of_prefix_and_body_in_base62()
    {
        Assert.All(Generated.Value, s => Assert.Equal(Base62Checksum(BitwiseCrc32(s[..47])), s[47..]));
    }

    // ---- refusals ----------------------------------------------------------------------------------

    [Fact]
    public void every_one_character_substitution_anywhere_is_refused_for_the_right_reason()
    {
        foreach (var secret in Generated.Value.Take(100).Append(Golden))
        {
            for (var position = 0; position < secret.Length; position++)
            {
                foreach (var replacement in Base62 + NotBase62)
                {
                    if (replacement == secret[position])
                    {
                        continue;
                    }

                    var changed = string.Create(secret.Length, (secret, position, replacement), static (span, s) =>
                    {
                        s.secret.CopyTo(span);
                        span[s.position] = s.replacement;
                    });
                    var expected = position < 4 ? IdentifiableSecretProblem.WrongPrefix
                        : Base62.Contains(replacement, StringComparison.Ordinal) ? IdentifiableSecretProblem.WrongChecksum
                        : IdentifiableSecretProblem.IllegalCharacter;
                    var actual = IdentifiableSecret.Check(changed);
                    Assert.True(expected == actual, $"position {position}, U+{(int)replacement:X4}: {actual}, expected {expected}");
                }
            }
        }
    }

    [Fact]
    public void a_truncated_or_extended_secret_is_refused_as_the_wrong_length()
    {
        foreach (var secret in Generated.Value.Take(20).Append(Golden))
        {
            for (var length = 4; length < secret.Length; length++)
            {
                Assert.Equal(IdentifiableSecretProblem.WrongLength, IdentifiableSecret.Check(secret[..length]));
            }

            for (var length = 0; length < 4; length++)
            {
                Assert.Equal(IdentifiableSecretProblem.WrongPrefix, IdentifiableSecret.Check(secret[..length]));
            }

            Assert.Equal(IdentifiableSecretProblem.WrongLength, IdentifiableSecret.Check(secret + "0"));
            Assert.Equal(IdentifiableSecretProblem.WrongLength, IdentifiableSecret.Check(secret + secret[4..]));
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("rks")]
    [InlineData("RKS_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg0JFFaL")]
    [InlineData(" rks_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg0JFFaL")]
    public void a_value_without_the_prefix_is_refused_as_the_wrong_prefix(string? value) =>
        Assert.Equal(IdentifiableSecretProblem.WrongPrefix, IdentifiableSecret.Check(value));

    [Fact]
    public void the_checks_run_in_order_prefix_length_alphabet_checksum()
    {
        // A wrong length with an illegal character is a wrong length; the checksum is looked at last.
        Assert.Equal(IdentifiableSecretProblem.WrongLength, IdentifiableSecret.Check("rks_+"));
        Assert.Equal(IdentifiableSecretProblem.IllegalCharacter, IdentifiableSecret.Check("rks_" + new string('-', 49)));
        Assert.Equal(IdentifiableSecretProblem.WrongChecksum, IdentifiableSecret.Check("rks_" + new string('0', 49)));
    }

    [Fact]
    public void every_problem_has_a_description_that_never_holds_a_value()
    {
        foreach (var problem in Enum.GetValues<IdentifiableSecretProblem>())
        {
            var description = IdentifiableSecret.Describe(problem);
            Assert.False(string.IsNullOrWhiteSpace(description));
            Assert.DoesNotContain(Golden[4..], description, StringComparison.Ordinal);
        }

        Assert.Equal("it does not start with 'acme-'", IdentifiableSecret.Describe(IdentifiableSecretProblem.WrongPrefix, "acme-"));
        Assert.Equal("it is not 53 characters long", IdentifiableSecret.Describe(IdentifiableSecretProblem.WrongLength));
    }

    // ---- finding secrets in text -------------------------------------------------------------------

    [Theory]
    [InlineData("token={0};")]
    [InlineData("{0}")]
    [InlineData("export CLIENT_SECRET=\"{0}\"\n")]
    [InlineData("client_secret: '{0}'")]
    [InlineData("https://example.com/cb?secret={0}&x=1")]
    [InlineData("{{\"clientSecret\":\"{0}\"}}")]
    [InlineData("line one\n{0}\nline three")]
    [InlineData("a.{0}.b")]
    public void the_pattern_finds_a_secret_in_text(string template)
    {
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Golden);

        var match = Regex.Match(text, IdentifiableSecret.Pattern());

        Assert.True(match.Success, text);
        Assert.Equal(Golden, match.Value);
    }

    [Theory]
    [InlineData("x{0}")]
    [InlineData("0{0}")]
    [InlineData("_{0}")]
    [InlineData("-{0}")]
    [InlineData("{0}A")]
    [InlineData("{0}0")]
    [InlineData("{0}_")]
    [InlineData("{0}-")]
    public void the_pattern_does_not_find_a_secret_glued_to_other_secret_characters(string template)
    {
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Golden);

        Assert.DoesNotMatch(new Regex(IdentifiableSecret.Pattern()), text);
        Assert.DoesNotMatch(new Regex(IdentifiableSecret.ExactPattern()), text);
    }

    [Fact]
    public void the_plain_pattern_has_no_boundaries_of_its_own()
    {
        // For RE2 and Hyperscan, which have no look-around: the scanner draws the boundaries.
        Assert.Equal(Golden, Regex.Match("x" + Golden, IdentifiableSecret.PlainPattern()).Value);
        Assert.DoesNotContain("(?", IdentifiableSecret.PlainPattern(), StringComparison.Ordinal);
        Assert.Equal("rks_[0-9A-Za-z]{43}[0-4][0-9A-Za-z]{5}", IdentifiableSecret.PlainPattern());
    }

    [Fact]
    public void the_first_checksum_character_is_0_to_4_because_a_crc32_is_below_62_to_the_6th_so_the_pattern_refuses_5_to_z()
    {
        Assert.True(Math.Pow(62, 5) * 5 > uint.MaxValue);
        Assert.All(Generated.Value, s => Assert.InRange(s[IdentifiableSecret.DefaultPrefix.Length + IdentifiableSecret.BodyLength], '0', '4'));
        var lookalike = Golden[..(4 + IdentifiableSecret.BodyLength)] + "5" + Golden[^5..];
        Assert.DoesNotMatch(new Regex(IdentifiableSecret.ExactPattern()), lookalike);
    }

    [Fact]
    public void the_pattern_finds_every_secret_of_a_text_holding_several()
    {
        var secrets = Generated.Value.Take(10).ToArray();
        var text = string.Join(" and ", secrets.Select((s, i) => $"key{i}={s}"));

        var found = Regex.Matches(text, IdentifiableSecret.Pattern()).Select(m => m.Value);

        Assert.Equal(secrets, found);
    }

    // ---- prefixes ----------------------------------------------------------------------------------

    [Fact]
    public void a_custom_prefix_works_end_to_end()
    {
        const string Acme = "acme-";

        var secrets = Enumerable.Range(0, 200).Select(_ => IdentifiableSecret.Generate(Acme)).ToList();

        Assert.Equal(54, IdentifiableSecret.Length(Acme));
        Assert.All(secrets, s =>
        {
            Assert.StartsWith(Acme, s, StringComparison.Ordinal);
            Assert.Equal(54, s.Length);
            Assert.Equal(IdentifiableSecretProblem.None, IdentifiableSecret.Check(s, Acme));
            Assert.Equal(IdentifiableSecretProblem.WrongPrefix, IdentifiableSecret.Check(s));
            Assert.Null(ClientSecretRules.Check(s));
            Assert.Matches(IdentifiableSecret.ExactPattern(Acme), s);
            Assert.Equal(s, Regex.Match($"key={s};", IdentifiableSecret.Pattern(Acme)).Value);
            Assert.Equal(Base62Checksum(BitwiseCrc32(s[..48])), s[48..]);
        });

        // The same body under another prefix has another checksum: the prefix is part of what the CRC covers.
        const string AcmeGolden = "acme-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg0DjzDV";
        Assert.Equal(IdentifiableSecretProblem.None, IdentifiableSecret.Check(AcmeGolden, Acme));
        Assert.Equal(IdentifiableSecretProblem.WrongChecksum, IdentifiableSecret.Check("acme-" + Golden[4..], Acme));
    }

    [Theory]
    [InlineData("rk_")]
    [InlineData("ab-")]
    [InlineData("A1_")]
    [InlineData("my_company-prod_")]
    [InlineData("abcdefghijklmnopqrstuvw_")]
    public void a_valid_prefix_gives_secrets_within_authletes_rules(string prefix)
    {
        Assert.True(IdentifiableSecret.IsValidPrefix(prefix));
        var secret = IdentifiableSecret.Generate(prefix);

        Assert.Equal(prefix.Length + 49, secret.Length);
        Assert.Null(ClientSecretRules.Check(secret));
        Assert.Equal(IdentifiableSecretProblem.None, IdentifiableSecret.Check(secret, prefix));
    }

    [Fact]
    public void the_longest_prefix_still_fits_authletes_86_characters()
    {
        Assert.True(IdentifiableSecret.Length(new string('a', IdentifiableSecret.MaxPrefixLength)) <= ClientSecretRules.MaxLength);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("_")]
    [InlineData("rks")]
    [InlineData("rksA")]
    [InlineData("-x_")]
    [InlineData("-_")]
    [InlineData("rk.s_")]
    [InlineData("rks.")]
    [InlineData("rks _")]
    [InlineData("r\u00E9s_")]
    [InlineData("abcdefghijklmnopqrstuvwx_")]
    public void an_invalid_prefix_is_refused_and_nothing_is_generated_or_checked_with_it(string? prefix)
    {
        Assert.False(IdentifiableSecret.IsValidPrefix(prefix));
        if (prefix is not null)
        {
            Assert.Throws<ArgumentException>(nameof(prefix), () => IdentifiableSecret.Generate(prefix));
            Assert.Throws<ArgumentException>(nameof(prefix), () => IdentifiableSecret.Check(Golden, prefix));
        }
    }

    // ---- the independent reference -----------------------------------------------------------------

    /// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) one bit at a time: no table to share a bug with.</summary>
    private static uint BitwiseCrc32(string ascii)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in Encoding.ASCII.GetBytes(ascii))
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) == 1 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>A big-endian base62 number of six digits, padded with <c>0</c>.</summary>
    private static string Base62Checksum(uint value)
    {
        var digits = new char[6];
        ulong v = value;
        for (var i = 5; i >= 0; i--)
        {
            digits[i] = Base62[(int)(v % 62)];
            v /= 62;
        }

        Assert.Equal(0ul, v);
        return new string(digits);
    }
}
