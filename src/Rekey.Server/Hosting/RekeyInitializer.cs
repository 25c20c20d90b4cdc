using System.Globalization;
using Microsoft.Extensions.Options;
using Rekey.Server.Auth;
using Rekey.Server.Storage;

namespace Rekey.Server.Hosting;

/// <summary>
/// Start-up work, before the server listens (the data directory was made ready by <see cref="DataDirectory"/>): load the admin token, migrate the store
/// (waiting for a database that does not answer yet, up to <c>Rekey:Storage:StartupTimeoutSeconds</c>), check the master keys against it and open its
/// data keys. A failure here stops the host; <c>Program.cs</c> turns it into one line on standard error.
/// </summary>
internal sealed class RekeyInitializer(IOptions<RekeyOptions> options, IServiceProvider services, Readiness readiness, TimeProvider time, ILogger<RekeyInitializer> logger)
    : IHostedService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(5);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        // Resolved at start, not taken by the constructor: the hosted services are all constructed before any of them
        // starts, this one first, so a constructor would write the admin token before the data directory is checked, and
        // a start that then failed (an unreadable master key file) would leave a new admin-token file behind.
        services.GetRequiredService<AdminToken>();
        await MigrateWhenTheStoreAnswersAsync(services.GetRequiredService<IRekeyStore>(), o.Storage.StartupTimeoutSeconds, cancellationToken);
        await services.GetRequiredService<Secrets.KeyLifecycle>().InitializeAsync(cancellationToken);
        var schemaVersion = Migrations.Latest(o.Storage.Provider);
        readiness.Started(schemaVersion);
        Log.StoreReady(logger, o.Storage.Provider, schemaVersion);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Nodes and their database often start together (a reboot, a compose file, a Kubernetes rollout): a database that
    /// does not answer yet is tried again with doubling pauses (0.25 s up to 5 s) until the timeout has passed, and only
    /// then does the start fail. Anything else the store refuses (a schema newer than this binary) fails at once.
    /// </summary>
    private async Task MigrateWhenTheStoreAnswersAsync(IRekeyStore store, int timeoutSeconds, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var timeout = TimeSpan.FromSeconds(timeoutSeconds);
        var pause = FirstRetry;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.MigrateAsync(ct);
                if (attempt > 1)
                {
                    Log.StoreAnswered(logger, time.GetElapsedTime(started).TotalSeconds);
                }

                return;
            }
            catch (StoreUnavailableException ex)
            {
                var waited = time.GetElapsedTime(started);
                var left = timeout - waited;
                if (left <= TimeSpan.Zero)
                {
                    var gaveUp = timeoutSeconds == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"; gave up after {waited.TotalSeconds:0} s");
                    throw new StartupFailure($"the store is unavailable: {ex.Message.TrimEnd('.')}{gaveUp} (Rekey:Storage:StartupTimeoutSeconds={timeoutSeconds}).", ex);
                }

                if (attempt == 1)
                {
                    Log.WaitingForStore(logger, timeoutSeconds, ex.Message);
                }

                await Task.Delay(pause < left ? pause : left, time, ct);
                pause = pause * 2 < LongestRetry ? pause * 2 : LongestRetry;
            }
        }
    }
}
