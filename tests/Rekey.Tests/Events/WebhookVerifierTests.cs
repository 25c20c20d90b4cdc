using System.Globalization;
using System.Text;
using Rekey.Sdk.Webhooks;
using Rekey.Server.Events;

namespace Rekey.Tests.Events;

/// <summary>The SDK's verifier, as a receiver uses it, against what the server signs.</summary>
public sealed class WebhookVerifierTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_767_225_600);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"type\":\"client.secret.rotated\",\"data\":{\"clientId\":123456789012}}");

    private readonly string _secret = StandardWebhooks.NewSecret();

    [Fact]
    public void the_servers_signature_is_accepted_within_five_minutes_either_way()
    {
        var verifier = new WebhookVerifier(_secret);

        foreach (var offset in new[] { 0, -300, 300, -1, 1 })
        {
            var timestamp = Now.ToUnixTimeSeconds() + offset;
            Assert.True(verifier.Verify("msg_1", Text(timestamp), Sign(_secret, "msg_1", timestamp, Body), Body, Now), $"offset {offset}");
        }
    }

    [Fact]
    public void the_spec_test_vector_verifies_and_the_prefix_is_optional()
    {
        var body = Encoding.UTF8.GetBytes("{\"test\": 2432232314}");
        var at = DateTimeOffset.FromUnixTimeSeconds(1614265330);
        const string signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

        Assert.True(new WebhookVerifier("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").Verify("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", signature, body, at));
        Assert.True(new WebhookVerifier("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").Verify("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", signature, body, at));
    }

    [Fact]
    public void a_tampered_body_id_or_timestamp_is_refused()
    {
        var verifier = new WebhookVerifier(_secret);
        var timestamp = Now.ToUnixTimeSeconds();
        var signature = Sign(_secret, "msg_1", timestamp, Body);
        var tampered = (byte[])Body.Clone();
        tampered[^2] ^= 1;

        Assert.True(verifier.Verify("msg_1", Text(timestamp), signature, Body, Now));
        Assert.False(verifier.Verify("msg_1", Text(timestamp), signature, tampered, Now));
        Assert.False(verifier.Verify("msg_1", Text(timestamp), signature, Body.AsSpan(0, Body.Length - 1), Now));
        Assert.False(verifier.Verify("msg_1", Text(timestamp), signature, [.. Body, (byte)' '], Now));
        Assert.False(verifier.Verify("msg_2", Text(timestamp), signature, Body, Now));
        Assert.False(verifier.Verify("msg_1", Text(timestamp + 1), signature, Body, Now));
    }

    [Fact]
    public void a_signature_made_with_another_secret_is_refused()
    {
        var timestamp = Now.ToUnixTimeSeconds();
        var signature = Sign(StandardWebhooks.NewSecret(), "msg_1", timestamp, Body);

        Assert.False(new WebhookVerifier(_secret).Verify("msg_1", Text(timestamp), signature, Body, Now));
    }

    [Fact]
    public void a_timestamp_more_than_five_minutes_away_is_refused_though_the_signature_matches()
    {
        var verifier = new WebhookVerifier(_secret);

        foreach (var offset in new[] { -301, 301, -86_400 })
        {
            var timestamp = Now.ToUnixTimeSeconds() + offset;
            Assert.False(verifier.Verify("msg_1", Text(timestamp), Sign(_secret, "msg_1", timestamp, Body), Body, Now), $"offset {offset}");
        }
    }

    [Fact]
    public void one_matching_v1_signature_among_several_is_enough_and_other_versions_are_skipped()
    {
        var verifier = new WebhookVerifier(_secret);
        var timestamp = Now.ToUnixTimeSeconds();
        var good = Sign(_secret, "msg_1", timestamp, Body);
        var other = Sign(StandardWebhooks.NewSecret(), "msg_1", timestamp, Body);
        var goodAsOtherVersion = "v2," + good["v1,".Length..];

        Assert.True(verifier.Verify("msg_1", Text(timestamp), $"{other} {good}", Body, Now));
        Assert.True(verifier.Verify("msg_1", Text(timestamp), $"{good} {other}", Body, Now));
        Assert.True(verifier.Verify("msg_1", Text(timestamp), $"v1a,aGVsbG8= garbage  {good}", Body, Now));
        Assert.False(verifier.Verify("msg_1", Text(timestamp), $"{other} {goodAsOtherVersion}", Body, Now));
        Assert.False(verifier.Verify("msg_1", Text(timestamp), good["v1,".Length..], Body, Now));
    }

    [Theory]
    [InlineData(null, "1767225600", true)]
    [InlineData("", "1767225600", true)]
    [InlineData("msg_1", null, true)]
    [InlineData("msg_1", "", true)]
    [InlineData("msg_1", "1767225600", false)]
    [InlineData("msg_1", "17672256OO", true)]
    [InlineData("msg_1", " 1767225600", true)]
    [InlineData("msg_1", "+1767225600", true)]
    [InlineData("msg_1", "1767225600.0", true)]
    [InlineData("msg_1", "99999999999999999999999", true)]
    [InlineData("msg.1", "1767225600", true)]
    public void a_missing_or_malformed_header_is_refused_without_an_exception(string? id, string? timestamp, bool withSignature)
    {
        var verifier = new WebhookVerifier(_secret);
        var signature = withSignature ? Sign(_secret, "msg_1", Now.ToUnixTimeSeconds(), Body) : null;

        Assert.False(verifier.Verify(id, timestamp, signature, Body, Now));
        Assert.False(verifier.Verify(id, timestamp, "", Body, Now));
    }

    [Fact]
    public void the_secret_shows_neither_in_to_string_nor_in_the_refusal_of_a_malformed_one()
    {
        var verifier = new WebhookVerifier(_secret);
        const string malformed = "whsec_hunter2hunter2hunter2";

        Assert.DoesNotContain(_secret["whsec_".Length..], verifier.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_secret["whsec_".Length..][..8], verifier.ToString(), StringComparison.Ordinal);
        var refusal = Assert.Throws<ArgumentException>(() => new WebhookVerifier(malformed));
        Assert.DoesNotContain("hunter2", refusal.ToString(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new WebhookVerifier(""));
        Assert.Throws<ArgumentException>(() => new WebhookVerifier("whsec_" + Convert.ToBase64String(new byte[16])));
    }

    private static string Sign(string secret, string id, long timestamp, byte[] body) =>
        StandardWebhooks.TryDecodeSecret(secret, out var key) ? StandardWebhooks.Sign(key, id, timestamp, body) : throw new ArgumentException("not a secret");

    private static string Text(long timestamp) => timestamp.ToString(CultureInfo.InvariantCulture);
}
