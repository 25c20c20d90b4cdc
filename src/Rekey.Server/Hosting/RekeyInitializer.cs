using Microsoft.Extensions.Options;
using Rekey.Server.Auth;
using Rekey.Server.Storage;

namespace Rekey.Server.Hosting;

/// <summary>
/// Start-up work, before the server listens (the data directory was made ready by <see cref="DataDirectory"/>): load the admin token, migrate the store,
/// check the master keys against it and open its data keys. A failure here stops the host; <c>Program.cs</c> turns it into one line on standard error.
/// </summary>
internal sealed class RekeyInitializer(IOptions<RekeyOptions> options, IServiceProvider services, ILogger<RekeyInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        // Resolved at start, not taken by the constructor: the hosted services are all constructed before any of them
        // starts, this one first, so a constructor would write the admin token before the data directory is checked, and
        // a start that then failed (an unreadable master key file) would leave a new admin-token file behind.
        services.GetRequiredService<AdminToken>();
        await services.GetRequiredService<IRekeyStore>().MigrateAsync(cancellationToken);
        await services.GetRequiredService<Secrets.KeyLifecycle>().InitializeAsync(cancellationToken);
        Log.StoreReady(logger, o.Storage.Provider);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
