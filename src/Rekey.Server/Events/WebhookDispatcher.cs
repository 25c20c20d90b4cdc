using System.Globalization;
using System.Threading.Channels;
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
/// <remarks>
/// A pipeline, so that delivery keeps up with a burst of changes and one slow receiver does not hold up the others:
/// <see cref="WebhooksOptions.Concurrency"/> senders each have one attempt in flight, fed from a local queue; a claim
/// takes due deliveries ahead, up to <see cref="ClaimedPerSlot"/> per sender, once half of that room is free (a claim
/// per finished attempt would be a transaction per delivery), each leased for as long as it may wait in the queue;
/// each finished attempt hands its outcome to a recorder that writes all the outcomes waiting in one transaction
/// (<see cref="IRekeyStore.CompleteDeliveriesAsync"/>).
/// </remarks>
internal sealed class WebhookDispatcher(IRekeyStore store, IOptions<RekeyOptions> options, TimeProvider time, ILogger<WebhookDispatcher> logger)
    : BackgroundService
{
    /// <summary>How long a node waits for more events when the backlog did not fill its free slots.</summary>
    private const int GatherMilliseconds = 50;

    /// <summary>Outcomes recorded in one transaction at most.</summary>
    private const int MaxRecordedAtOnce = 256;

    private readonly WebhooksOptions _options = options.Value.Webhooks;

    private readonly Channel<(ClaimedDelivery, DeliveryOutcome)> _outcomes = Channel.CreateUnbounded<(ClaimedDelivery, DeliveryOutcome)>(
        new UnboundedChannelOptions { SingleReader = true });

    private readonly Channel<ClaimedDelivery> _queue = Channel.CreateUnbounded<ClaimedDelivery>(new UnboundedChannelOptions { SingleWriter = true });

    private WebhookSender? _sender;

    /// <summary>Deliveries taken and not yet finished, queued or in flight: at most <see cref="ClaimedPerSlot"/> per slot.</summary>
    private SemaphoreSlim? _room;

    /// <summary>How many deliveries a node takes ahead per attempt it can have in flight: claims big enough not to cost a transaction per delivery.</summary>
    private const int ClaimedPerSlot = 4;

    private int Capacity => _options.Concurrency * ClaimedPerSlot;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _sender = new WebhookSender(_options.AllowPrivateNetworks, TimeSpan.FromSeconds(_options.TimeoutSeconds), "Rekey-Webhooks/" + ServerCommandLine.Version);
        _room = new SemaphoreSlim(Capacity, Capacity);
        var recorder = RecordAsync();
        var workers = Enumerable.Range(0, _options.Concurrency).Select(_ => WorkAsync(stoppingToken)).ToList();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Wait until at least half the room is free, then take as many due deliveries as there is room for.
                var taken = 0;
                while (taken < Capacity / 2)
                {
                    await _room.WaitAsync(stoppingToken);
                    taken++;
                }

                while (taken < Capacity && _room.Wait(0, CancellationToken.None))
                {
                    taken++;
                }

                var claimed = await ClaimAsync(taken, Capacity - _room.CurrentCount - taken, stoppingToken);
                if (taken > claimed.Count)
                {
                    _room.Release(taken - claimed.Count);
                }

                foreach (var delivery in claimed)
                {
                    _queue.Writer.TryWrite(delivery);
                }

                if (claimed.Count == 0)
                {
                    // Nothing is due: look again after the poll interval.
                    await Task.Delay(TimeSpan.FromMilliseconds(_options.PollIntervalMilliseconds), time, stoppingToken);
                }
                else if (claimed.Count < taken)
                {
                    // The backlog is shorter than the room: let a few more events arrive before the next claim, rather
                    // than a transaction per event (or a whole poll interval while they pile up).
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(GatherMilliseconds, _options.PollIntervalMilliseconds)), time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: deliveries taken and not finished are due again when their lease ends.
        }
        catch (Exception ex)
        {
            // A bug here must not stop the server (a failing background service stops the host): deliveries wait, the
            // leases end, and a restart or another node sends them.
            Log.DispatcherStopped(logger, ex);
        }
        finally
        {
            _queue.Writer.TryComplete();
            await Task.WhenAll(workers);
            _outcomes.Writer.TryComplete();
            await recorder;
        }
    }

    /// <summary>One of <see cref="WebhooksOptions.Concurrency"/> senders: attempts one delivery at a time from the queue.</summary>
    private async Task WorkAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var delivery in _queue.Reader.ReadAllAsync(ct))
            {
                await SendAsync(delivery, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> due deliveries, each leased for as long as it may wait: with
    /// <paramref name="ahead"/> deliveries already queued or in flight, the i-th new one starts within
    /// (ahead + i) / <see cref="WebhooksOptions.Concurrency"/> waves of attempts, each at most the timeout long, and its
    /// own attempt takes one more; then the margin to record the outcome. Alone, a delivery's lease is the timeout plus
    /// the margin.
    /// </summary>
    private async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(int limit, int ahead, CancellationToken ct)
    {
        try
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            long LeaseUntil(int i) => now + (((((ahead + i) / _options.Concurrency) + 1) * _options.TimeoutSeconds) + _options.LeaseMarginSeconds) * 1000L;
            return await store.ClaimDeliveriesAsync(now, LeaseUntil, limit, ct);
        }
        catch (Exception ex) when (ex is StoreUnavailableException or StoreOutcomeUnknownException or StoreOverloadedException or SecretDecryptionException)
        {
            Log.DeliveriesSkipped(logger, ex.Message);
            return [];
        }
    }

    private async Task SendAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        try
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

            _outcomes.Writer.TryWrite((delivery, new DeliveryOutcome(attempt.Delivered, attempt.StatusCode, attempt.Error, attempt.ResponseExcerpt, retryAt,
                at.ToUnixTimeMilliseconds(), (at - _options.DisableAfter).ToUnixTimeMilliseconds())));
        }
        catch (OperationCanceledException)
        {
            // Shutting down mid-attempt: the lease ends and the delivery is due again.
        }
        catch (Exception ex)
        {
            Log.DeliveryCrashed(logger, delivery.WebhookId, delivery.EventId, ex);
        }
        finally
        {
            _room!.Release();
        }
    }

    /// <summary>Writes the outcomes as they come, all those waiting in one transaction, until the dispatcher stops.</summary>
    private async Task RecordAsync()
    {
        var reader = _outcomes.Reader;
        var batch = new List<(ClaimedDelivery, DeliveryOutcome)>(MaxRecordedAtOnce);
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < MaxRecordedAtOnce && reader.TryRead(out var outcome))
            {
                batch.Add(outcome);
            }

            try
            {
                foreach (var webhookId in await store.CompleteDeliveriesAsync(batch, CancellationToken.None))
                {
                    Log.WebhookDisabled(logger, webhookId);
                }
            }
            catch (Exception ex) when (ex is StoreUnavailableException or StoreOutcomeUnknownException or StoreOverloadedException or ObjectDisposedException)
            {
                // Not recorded: the leases end and the deliveries are sent again (at least once).
                Log.DeliveriesSkipped(logger, ex.Message);
            }

            batch.Clear();
        }
    }

    public override void Dispose()
    {
        // The room is not disposed: attempts still finishing release theirs (a SemaphoreSlim without a wait handle holds nothing).
        _sender?.Dispose();
        base.Dispose();
    }
}
