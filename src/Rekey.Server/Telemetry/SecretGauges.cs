using System.Diagnostics.Metrics;
using Rekey.Server.Storage;

namespace Rekey.Server.Telemetry;

/// <summary>
/// <c>rekey.secrets</c> and <c>rekey.secrets.expiring</c>: observable gauges over a tally of every client's secrets
/// (<see cref="IRekeyStore.TallySecretsAsync"/>, which reads every client row a page at a time). A collection never
/// waits for the store: it reports the last tally, and starts a new one in the background when that is older than
/// <see cref="RefreshInterval"/> — so the store is read at most once a minute, and only while an exporter collects.
/// Until the first tally completes the gauges report nothing. A hosted service only so that it is built with the
/// store, after the data directory and the keys (RekeyHosting); it runs nothing itself.
/// </summary>
internal sealed class SecretGauges : IHostedService, IDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);

    private readonly IRekeyStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<SecretGauges> _logger;
    private readonly Meter _meter;
    private SecretTally? _tally;
    private long? _lastStart;
    private bool _refreshing;

    public SecretGauges(IRekeyStore store, TimeProvider time, IMeterFactory meters, ILogger<SecretGauges> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        // From the container's meter factory (same name as RekeyMetrics.Meter): the callbacks read this instance's store.
        _meter = meters.Create(RekeyMetrics.MeterName);
        _meter.CreateObservableGauge("rekey.secrets", Secrets, "{secret}",
            "Kept secrets of every client by status: current, previous (in its grace period), expired, revoked. Refreshed at most once a minute.");
        _meter.CreateObservableGauge("rekey.secrets.expiring", Expiring, "{secret}",
            "Current secrets whose lifetime ends within 1, 7 or 30 days (each window includes the shorter ones). Refreshed at most once a minute.");
    }

    private IEnumerable<Measurement<long>> Secrets()
    {
        if (Latest() is not { } t)
        {
            return [];
        }

        return
        [
            new(t.Current, new KeyValuePair<string, object?>("rekey.secret.status", "current")),
            new(t.Previous, new KeyValuePair<string, object?>("rekey.secret.status", "previous")),
            new(t.Expired, new KeyValuePair<string, object?>("rekey.secret.status", "expired")),
            new(t.Revoked, new KeyValuePair<string, object?>("rekey.secret.status", "revoked")),
        ];
    }

    private IEnumerable<Measurement<long>> Expiring()
    {
        if (Latest() is not { } t)
        {
            return [];
        }

        return
        [
            new(t.ExpiringIn1Day, new KeyValuePair<string, object?>("rekey.within", "1d")),
            new(t.ExpiringIn7Days, new KeyValuePair<string, object?>("rekey.within", "7d")),
            new(t.ExpiringIn30Days, new KeyValuePair<string, object?>("rekey.within", "30d")),
        ];
    }

    /// <summary>The last tally; starts the next one when it is due and none is running.</summary>
    private SecretTally? Latest()
    {
        lock (_meter)
        {
            var now = _time.GetTimestamp();
            if (!_refreshing && (_lastStart is not { } last || _time.GetElapsedTime(last, now) >= RefreshInterval))
            {
                _refreshing = true;
                _lastStart = now;
                _ = RefreshAsync();
            }

            return _tally;
        }
    }

    private async Task RefreshAsync()
    {
        SecretTally? tally = null;
        try
        {
            // Off the collecting thread: the tally reads every client row.
            await Task.Yield();
            tally = await _store.TallySecretsAsync(_time.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None);
        }
        catch (Exception ex) when (ex is StoreUnavailableException or ObjectDisposedException or Rekey.Server.Secrets.SecretDecryptionException)
        {
            // Keep the last tally; an outage is logged where requests fail (StoreAvailability).
            Hosting.Log.SecretTallyFailed(_logger, ex.GetType().Name);
        }
        finally
        {
            lock (_meter)
            {
                _tally = tally ?? _tally;
                _refreshing = false;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _meter.Dispose();
}
