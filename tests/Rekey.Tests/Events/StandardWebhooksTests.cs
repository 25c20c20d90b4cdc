extern alias Codefactors;

using System.Text;
using Rekey.Server.Events;

namespace Rekey.Tests.Events;

/// <summary>Signing as the Standard Webhooks spec has it, pinned by the vector its reference libraries test against.</summary>
public sealed class StandardWebhooksTests
{
    // The vector of the reference libraries' own tests (standard-webhooks/standard-webhooks, libraries/*: "sign works").
    private const string VectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string VectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long VectorTimestamp = 1614265330;
    private const string VectorBody = "{\"test\": 2432232314}";
    private const string VectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    [Fact]
    public void the_spec_test_vector_signs_to_the_published_signature_with_and_without_the_prefix()
    {
        Assert.True(StandardWebhooks.TryDecodeSecret(VectorSecret, out var key));
        Assert.True(StandardWebhooks.TryDecodeSecret(VectorSecret["whsec_".Length..], out var bare));

        Assert.Equal(VectorSignature, StandardWebhooks.Sign(key, VectorId, VectorTimestamp, Encoding.UTF8.GetBytes(VectorBody)));
        Assert.Equal(key, bare);
        Assert.Equal(24, key.Length);
    }

    [Fact]
    public void the_signature_header_has_one_signature_per_key_in_the_order_given_separated_by_one_space()
    {
        Assert.True(StandardWebhooks.TryDecodeSecret(VectorSecret, out var older));
        Assert.True(StandardWebhooks.TryDecodeSecret(StandardWebhooks.NewSecret(), out var newer));
        var body = Encoding.UTF8.GetBytes(VectorBody);

        var header = StandardWebhooks.SignatureHeader([newer, older], VectorId, VectorTimestamp, body);

        Assert.Equal(StandardWebhooks.Sign(newer, VectorId, VectorTimestamp, body) + " " + VectorSignature, header);
        Assert.Equal(VectorSignature, StandardWebhooks.SignatureHeader([older], VectorId, VectorTimestamp, body));
        Assert.Throws<ArgumentException>(() => StandardWebhooks.SignatureHeader([], VectorId, VectorTimestamp, body));
    }

    [Fact]
    public void an_empty_or_missing_key_never_signs()
    {
        var body = Encoding.UTF8.GetBytes(VectorBody);

        Assert.Throws<ArgumentException>(() => StandardWebhooks.Sign([], VectorId, VectorTimestamp, body));
        Assert.Throws<ArgumentException>(() => StandardWebhooks.SignatureHeader([[]], VectorId, VectorTimestamp, body));
        // A caller that ignored nullability: a null array would be an empty span, and sign with the empty key.
        Assert.ThrowsAny<ArgumentException>(() => StandardWebhooks.SignatureHeader([null!], VectorId, VectorTimestamp, body));
    }

    [Fact]
    public void signatures_are_the_ones_an_independent_implementation_makes()
    {
        // Codefactors' StandardWebhooks package, written apart from this code: a random key, a body beyond ASCII.
        var secret = StandardWebhooks.NewSecret();
        Assert.True(StandardWebhooks.TryDecodeSecret(secret, out var key));
        const string body = "{\"name\":\"Zoë ✓ 🔑\",\"n\":1}";
        var at = DateTimeOffset.FromUnixTimeSeconds(1_767_225_600);

        var theirs = new Codefactors::StandardWebhooks.StandardWebhook(secret).Sign("msg_2zWsW9kPq", at, body);

        Assert.Equal(theirs, StandardWebhooks.Sign(key, "msg_2zWsW9kPq", at.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public void a_new_secret_is_whsec_and_the_base64_of_32_fresh_random_bytes()
    {
        var first = StandardWebhooks.NewSecret();
        var second = StandardWebhooks.NewSecret();

        Assert.StartsWith("whsec_", first, StringComparison.Ordinal);
        Assert.Equal("whsec_".Length + 44, first.Length);
        Assert.Equal(32, Convert.FromBase64String(first["whsec_".Length..]).Length);
        Assert.True(StandardWebhooks.TryDecodeSecret(first, out var key));
        Assert.Equal(32, key.Length);
        Assert.NotEqual(first, second);
    }

    public static TheoryData<string?> NotSecrets => new()
    {
        null,
        "",
        "whsec_",
        "whsec_not base64 at all",
        "whsec_!!!!MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",                          // not a whole number of base64 quads
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La LaSw",                        // whitespace that base64 decoding would skip
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
        " whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",                         // the prefix is lower case; '_' is not base64
        "whsec_whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_" + Convert.ToBase64String(new byte[23]),                  // below the spec's 24 bytes
        "whsec_" + Convert.ToBase64String(new byte[65]),                  // above its 64
        "whsec_" + Convert.ToBase64String(new byte[32]).Replace('+', '-').TrimEnd('='), // base64url, unpadded
        "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",                          // an asymmetric secret key's prefix
    };

    [Theory]
    [MemberData(nameof(NotSecrets))]
    public void text_that_is_not_a_symmetric_secret_is_refused_with_an_empty_key(string? value)
    {
        Assert.False(StandardWebhooks.TryDecodeSecret(value, out var key));
        Assert.Empty(key);
    }

    [Fact]
    public void keys_of_24_to_64_bytes_are_taken()
    {
        Assert.True(StandardWebhooks.TryDecodeSecret("whsec_" + Convert.ToBase64String(new byte[24]), out var shortest));
        Assert.True(StandardWebhooks.TryDecodeSecret(Convert.ToBase64String(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray()), out var longest));

        Assert.Equal(24, shortest.Length);
        Assert.Equal(Enumerable.Range(0, 64).Select(i => (byte)i), longest);
    }

    [Theory]
    [InlineData("")]
    [InlineData("msg.1")]
    [InlineData("msg 1")]
    [InlineData("msg\r\nx-injected: 1")]
    [InlineData("msg_ü")]
    public void a_message_id_the_spec_or_a_header_cannot_carry_is_a_programming_error(string messageId)
    {
        Assert.True(StandardWebhooks.TryDecodeSecret(VectorSecret, out var key));

        Assert.Throws<ArgumentException>(() => StandardWebhooks.Sign(key, messageId, VectorTimestamp, "{}"u8));
        Assert.Throws<ArgumentException>(() => StandardWebhooks.SignatureHeader([key], messageId, VectorTimestamp, "{}"u8.ToArray()));
    }
}
