using Microsoft.Extensions.Options;
using Rekey.Server.Hosting;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;
using Rekey.Server.Telemetry;

namespace Rekey.Server.Events;

/// <summary>
/// Every <c>Rekey:Events:SweepIntervalSeconds</c> (of the injected clock): gives the secret notices that are due
/// (<c>client.secret.expiring</c>, <c>expired</c>, <c>grace_ended</c>), a batch of clients per transaction until none is
/// left, and forgets events past their retention. Each node sweeps; the store makes every notice happen once, ever.
/// </summary>
internal sealed class EventSweep(IRekeyStore store, IOptions<RekeyOptions> options, TimeProvider time, ILogger<EventSweep> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.Events.SweepIntervalSeconds), time);
        try
        {
            do
            {
                await RunOnceAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Shutting down; what was due is due on the next start too.
        }
        catch (ObjectDisposedException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped and then disposed before this round's write came back (a stop that took longer than the host's
            // shutdown timeout): the round is abandoned like a cancelled one.
        }
    }

    /// <summary>One round; how many events it wrote.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var written = 0;
        try
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            int clients;
            do
            {
                (clients, var given) = await store.SweepSecretNoticesAsync(now, BatchSize, ct);
                written += given.Count;
                if (given.Count > 0)
                {
                    Log.SecretNoticesGiven(logger, given.Count, clients);
                    foreach (var type in given.GroupBy(t => t, StringComparer.Ordinal))
                    {
                        RekeyMetrics.NoticesGiven(type.Key, type.Count());
                    }
                }
            }
            while (clients == BatchSize);

            var before = now - (long)TimeSpan.FromDays(options.Value.Events.RetentionDays).TotalMilliseconds;
            while (await store.ForgetOldEventsAsync(before, BatchSize, ct) == BatchSize)
            {
            }
        }
        catch (Exception ex) when (ex is StoreUnavailableException or StoreOutcomeUnknownException or StoreOverloadedException or SecretDecryptionException)
        {
            // Nothing is lost: the clients' next moments stay due, and a notice given is recorded with its event.
            Log.EventSweepSkipped(logger, ex.Message);
        }

        return written;
    }
}
