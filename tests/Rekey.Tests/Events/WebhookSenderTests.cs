extern alias Codefactors;

using System.Text;
using Microsoft.AspNetCore.Http;
using Rekey.Sdk.Webhooks;
using Rekey.Server.Events;

namespace Rekey.Tests.Events;

/// <summary>The sender against a real receiver on Kestrel: what it sends, where it refuses to go, what it makes of answers.</summary>
public sealed class WebhookSenderTests : IAsyncLifetime
{
    private const string UserAgent = "Rekey-Tests/1.0 (+webhooks)";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private ScriptedReceiver? _started;

    private ScriptedReceiver Receiver => _started ?? throw new InvalidOperationException("The receiver has not started.");

    public async Task InitializeAsync() => _started = await ScriptedReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        if (_started is not null)
        {
            await _started.DisposeAsync();
        }
    }

    [Fact]
    public async Task a_delivery_carries_the_standard_headers_and_a_signature_per_key_that_other_implementations_verify()
    {
        var newer = StandardWebhooks.NewSecret();
        var older = StandardWebhooks.NewSecret();
        var keys = new[] { Key(newer), Key(older) };
        var body = Encoding.UTF8.GetBytes("{\"type\":\"client.secret.rotated\",\"data\":{\"clientId\":123456789012,\"name\":\"Zoë\"}}");
        var now = TimeProvider.System.GetUtcNow();
        var timestamp = now.ToUnixTimeSeconds();
        var header = StandardWebhooks.SignatureHeader(keys, "msg_delivery1", timestamp, body);
        using var sender = new WebhookSender(allowPrivateNetworks: true, Timeout, UserAgent);

        var attempt = await sender.SendAsync(Receiver.Url("/hook"), "msg_delivery1", timestamp, header, body, CancellationToken.None);

        Assert.True(attempt.Delivered);
        Assert.Equal(200, attempt.StatusCode);
        Assert.Null(attempt.Error);
        Assert.Equal("ok", attempt.ResponseExcerpt);
        Assert.InRange(attempt.Elapsed, TimeSpan.Zero, Timeout);

        var received = Assert.Single(Receiver.Requests);
        Assert.Equal("POST", received.Method);
        Assert.Equal(body, received.Body);
        Assert.Equal("msg_delivery1", received.Headers["webhook-id"]);
        Assert.Equal(timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), received.Headers["webhook-timestamp"]);
        Assert.Equal(header, received.Headers["webhook-signature"]);
        Assert.Equal("application/json", received.Headers.ContentType);
        Assert.Equal(UserAgent, received.Headers.UserAgent);

        // An independent implementation (Codefactors' StandardWebhooks package) verifies each signature with its key and
        // refuses a third key. Its 1.1.2 reads only the first signature of a list right (for the last one it takes the
        // whole header), so the older key's signature is given to it alone.
        var payload = Encoding.UTF8.GetString(received.Body);
        var signatures = header.Split(' ');
        Assert.Equal(2, signatures.Length);
        new Codefactors::StandardWebhooks.StandardWebhook(newer).Verify(payload, received.Headers);
        new Codefactors::StandardWebhooks.StandardWebhook(older).Verify(payload, WithSignature(received.Headers, signatures[1]));
        Assert.Throws<Codefactors::StandardWebhooks.Diagnostics.WebhookVerificationException>(
            () => new Codefactors::StandardWebhooks.StandardWebhook(StandardWebhooks.NewSecret()).Verify(payload, received.Headers));
        Assert.Throws<Codefactors::StandardWebhooks.Diagnostics.WebhookVerificationException>(
            () => new Codefactors::StandardWebhooks.StandardWebhook(newer).Verify(payload + " ", received.Headers));
        // The SDK's verifier takes the whole list with either key.
        foreach (var secret in new[] { newer, older })
        {
            Assert.True(new WebhookVerifier(secret).Verify(received.Headers["webhook-id"], received.Headers["webhook-timestamp"],
                received.Headers["webhook-signature"], received.Body, now));
        }
    }

    [Fact]
    public async Task without_private_networks_loopback_addresses_and_names_are_refused_before_any_connection()
    {
        using var sender = new WebhookSender(allowPrivateNetworks: false, Timeout, UserAgent);

        var literal = await SendAsync(sender, Receiver.Url("/hook", "https"));
        var name = await SendAsync(sender, Receiver.Url("/hook", "https", "localhost"));
        var mapped = await SendAsync(sender, Receiver.Url("/hook", "https", "[::ffff:127.0.0.1]"));
        var http = await SendAsync(sender, Receiver.Url("/hook"));

        Assert.Equal(new DeliveryAttempt(false, null, "refused: the address 127.0.0.1 is not public", null, literal.Elapsed), literal);
        Assert.False(name.Delivered);
        Assert.Null(name.StatusCode);
        Assert.Matches(@"^refused: the address (127\.0\.0\.1|::1) is not public$", name.Error);
        Assert.Equal("refused: the address ::ffff:127.0.0.1 is not public", mapped.Error);
        Assert.Equal("refused: the URL's scheme must be https", http.Error);
        Assert.Equal(0, Receiver.Connections);
        Assert.Empty(Receiver.Requests);

        // The same receiver counts the connection of a sender that may go there.
        using var allowed = new WebhookSender(allowPrivateNetworks: true, Timeout, UserAgent);
        Assert.True((await SendAsync(allowed, Receiver.Url("/hook"))).Delivered);
        Assert.Equal(1, Receiver.Connections);
        Assert.Single(Receiver.Requests);
    }

    [Fact]
    public async Task a_redirect_is_a_failure_with_its_status_and_is_not_followed()
    {
        using var sender = new WebhookSender(allowPrivateNetworks: true, Timeout, UserAgent);

        var attempt = await SendAsync(sender, Receiver.Url("/redirect"));

        Assert.False(attempt.Delivered);
        Assert.Equal(302, attempt.StatusCode);
        Assert.Equal("HTTP 302: redirects are not followed", attempt.Error);
        Assert.Equal(["/redirect"], Receiver.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task a_server_error_is_a_failure_with_its_status_and_an_escaped_excerpt_of_at_most_256_characters()
    {
        using var sender = new WebhookSender(allowPrivateNetworks: true, Timeout, UserAgent);

        var attempt = await SendAsync(sender, Receiver.Url("/fail"));

        Assert.False(attempt.Delivered);
        Assert.Equal(500, attempt.StatusCode);
        Assert.Equal("HTTP 500", attempt.Error);
        Assert.NotNull(attempt.ResponseExcerpt);
        Assert.StartsWith(@"boom\r\n\u001B[31mred\u0000xxx", attempt.ResponseExcerpt, StringComparison.Ordinal);
        Assert.EndsWith("x…", attempt.ResponseExcerpt, StringComparison.Ordinal);
        Assert.Equal(WebhookSender.MaxExcerptLength, attempt.ResponseExcerpt.Length);
    }

    [Fact]
    public async Task a_receiver_that_does_not_answer_in_time_gives_timeout_after_about_the_timeout()
    {
        var timeout = TimeSpan.FromSeconds(1);
        using var sender = new WebhookSender(allowPrivateNetworks: true, timeout, UserAgent);

        var attempt = await SendAsync(sender, Receiver.Url("/slow"));

        Assert.Equal(new DeliveryAttempt(false, null, "timeout", null, attempt.Elapsed), attempt);
        Assert.InRange(attempt.Elapsed, timeout * 0.9, timeout * 4);
        Assert.Single(Receiver.Requests);
    }

    [Fact]
    public async Task a_5_MB_answer_is_not_read_whole_and_its_excerpt_is_at_most_256_characters()
    {
        using var sender = new WebhookSender(allowPrivateNetworks: true, Timeout, UserAgent);

        var attempt = await SendAsync(sender, Receiver.Url("/big"));

        // The body's last byte never comes: a sender that read it all would have waited for it until its timeout.
        Assert.True(attempt.Delivered);
        Assert.Equal(200, attempt.StatusCode);
        Assert.InRange(attempt.Elapsed, TimeSpan.Zero, Timeout / 2);
        Assert.NotNull(attempt.ResponseExcerpt);
        Assert.StartsWith(@"big\tbody\nxxx", attempt.ResponseExcerpt, StringComparison.Ordinal);
        Assert.InRange(attempt.ResponseExcerpt.Length, 1, WebhookSender.MaxExcerptLength);
        Assert.EndsWith("…", attempt.ResponseExcerpt, StringComparison.Ordinal);
        // And it closed the connection rather than draining the rest.
        await Receiver.BigBodyAbandoned.WaitAsync(Timeout);
    }

    [Fact]
    public async Task a_refused_connection_is_a_short_error_without_a_stack_trace()
    {
        using var sender = new WebhookSender(allowPrivateNetworks: true, Timeout, UserAgent);
        var port = Ports.Unused();

        var attempt = await SendAsync(sender, new Uri($"http://127.0.0.1:{port}/hook"));

        Assert.False(attempt.Delivered);
        Assert.Null(attempt.StatusCode);
        Assert.NotNull(attempt.Error);
        Assert.StartsWith("connect: ", attempt.Error, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", attempt.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", attempt.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", attempt.Error, StringComparison.Ordinal);
        Assert.InRange(attempt.Error.Length, 1, 200);
    }

    [Fact]
    public async Task only_the_callers_cancellation_throws()
    {
        using var sender = new WebhookSender(allowPrivateNetworks: true, Timeout, UserAgent);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sender.SendAsync(Receiver.Url("/hook"), "msg_1", 1, "v1,x", [], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sender.SendAsync(Receiver.Url("/slow"), "msg_1", 1, "v1,x", [], soon.Token));
    }

    [Fact]
    public void an_excerpt_is_cut_between_escapes_and_never_splits_a_surrogate_pair()
    {
        Assert.Null(WebhookSender.Excerpt(""));
        Assert.Equal("short", WebhookSender.Excerpt("short"));
        Assert.Equal(new string('a', 256), WebhookSender.Excerpt(new string('a', 256)));
        Assert.Equal(new string('a', 255) + "…", WebhookSender.Excerpt(new string('a', 257)));
        Assert.Equal(string.Concat(Enumerable.Repeat(@"\u0001", 42)) + "…", WebhookSender.Excerpt(new string('\u0001', 300)));
        Assert.Equal("a" + string.Concat(Enumerable.Repeat("🔑", 127)) + "…", WebhookSender.Excerpt("a" + string.Concat(Enumerable.Repeat("🔑", 200))));
    }

    private static Task<DeliveryAttempt> SendAsync(WebhookSender sender, Uri url)
    {
        var key = Key(StandardWebhooks.NewSecret());
        var body = "{\"type\":\"test\"}"u8.ToArray();
        var timestamp = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        return sender.SendAsync(url, "msg_test", timestamp, StandardWebhooks.SignatureHeader([key], "msg_test", timestamp, body), body, CancellationToken.None);
    }

    private static HeaderDictionary WithSignature(IHeaderDictionary headers, string signature)
    {
        var copy = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            copy[name] = value;
        }

        copy["webhook-signature"] = signature;
        return copy;
    }

    private static byte[] Key(string secret) => StandardWebhooks.TryDecodeSecret(secret, out var key) ? key : throw new ArgumentException("not a secret");
}
