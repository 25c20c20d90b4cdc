using System.Globalization;
using Microsoft.Extensions.Options;
using Rekey.Server.Hosting;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;
using Rekey.Server.Telemetry;

namespace Rekey.Server.Events;

/// <summary>
/// Sends the outbox: takes due deliveries (a lease per delivery, so that every node of a PostgreSQL cluster can send and
/// none sends one another holds; a node killed mid-attempt leaves its deliveries due again when the lease ends), signs
/// each per Standard Webhooks with the webhook's secrets, sends it (<see cref="WebhookSender"/>), and records the
/// outcome: delivered, due again after the next wait of <see cref="WebhooksOptions.Schedule"/>, or failed.
/// At least once: a receiver that answered 2xx after the lease ran out may get the event again; the <c>webhook-id</c>
/// header is the same on every attempt.
/// </summary>
internal sealed class WebhookDispatcher(IRekeyStore store, IOptions<RekeyOptions> options, TimeProvider time, ILogger<WebhookDispatcher> logger)
    : BackgroundService
{
    private readonly WebhooksOptions _options = options.Value.Webhooks;

    private WebhookSender? _sender;

    /// <summary>The lease of an attempt: its timeout and a margin for recording the outcome (<see cref="WebhooksOptions.LeaseMarginSeconds"/>).</summary>
    private TimeSpan Lease => TimeSpan.FromSeconds(_options.TimeoutSeconds + _options.LeaseMarginSeconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _sender = new WebhookSender(_options.AllowPrivateNetworks, TimeSpan.FromSeconds(_options.TimeoutSeconds), "Rekey-Webhooks/" + ServerCommandLine.Version);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (await RunOnceAsync(stoppingToken) == 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(_options.PollIntervalMilliseconds), time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: deliveries taken and not finished are due again when their lease ends.
        }
    }

    /// <summary>One round: takes up to <see cref="WebhooksOptions.Concurrency"/> due deliveries and sends them; how many.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        IReadOnlyList<ClaimedDelivery> claimed;
        try
        {
            var now = time.GetUtcNow();
            claimed = await store.ClaimDeliveriesAsync(now.ToUnixTimeMilliseconds(), (now + Lease).ToUnixTimeMilliseconds(), _options.Concurrency, ct);
        }
        catch (Exception ex) when (ex is StoreUnavailableException or StoreOutcomeUnknownException or StoreOverloadedException or SecretDecryptionException)
        {
            Log.DeliveriesSkipped(logger, ex.Message);
            return 0;
        }

        await Task.WhenAll(claimed.Select(d => SendAsync(d, ct)));
        return claimed.Count;
    }

    private async Task SendAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        var body = ChangeEvents.Body(delivery.Event);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        var signature = StandardWebhooks.SignatureHeader(delivery.SigningKeys, delivery.EventId, timestamp, body);
        var attempt = await _sender!.SendAsync(new Uri(delivery.Url), delivery.EventId, timestamp, signature, body, ct);

        var at = time.GetUtcNow();
        long? retryAt = null;
        if (!attempt.Delivered && delivery.Attempt <= _options.Schedule.Count)
        {
            // ±20% so that the deliveries of a receiver that comes back are spread out.
            var wait = _options.Schedule[delivery.Attempt - 1] * (0.8 + (Random.Shared.NextDouble() * 0.4));
            retryAt = (at + wait).ToUnixTimeMilliseconds();
        }

        var outcome = new DeliveryOutcome(attempt.Delivered, attempt.StatusCode, attempt.Error, attempt.ResponseExcerpt, retryAt, at.ToUnixTimeMilliseconds(),
            (at - _options.DisableAfter).ToUnixTimeMilliseconds());
        try
        {
            if (await store.CompleteDeliveryAsync(delivery, outcome, ct))
            {
                Log.WebhookDisabled(logger, delivery.WebhookId);
            }
        }
        catch (Exception ex) when (ex is StoreUnavailableException or StoreOutcomeUnknownException or StoreOverloadedException)
        {
            // Not recorded: the lease ends and the delivery is sent again (at least once).
            Log.DeliveriesSkipped(logger, ex.Message);
            return;
        }

        RekeyMetrics.WebhookAttempted(attempt.Delivered ? "delivered" : retryAt is null ? "failed" : "retrying", attempt.Elapsed);
        if (attempt.Delivered)
        {
            Log.Delivered(logger, delivery.WebhookId, delivery.EventId, delivery.Attempt, attempt.StatusCode ?? 0, (long)attempt.Elapsed.TotalMilliseconds);
        }
        else
        {
            Log.DeliveryFailed(logger, delivery.WebhookId, delivery.EventId, delivery.Attempt,
                attempt.StatusCode is { } code ? "HTTP " + code.ToString(CultureInfo.InvariantCulture) : attempt.Error ?? "no answer",
                retryAt is { } next ? "next attempt at " + DateTimeOffset.FromUnixTimeMilliseconds(next).ToString("u", CultureInfo.InvariantCulture) : "no attempt left");
        }
    }

    public override void Dispose()
    {
        _sender?.Dispose();
        base.Dispose();
    }
}
