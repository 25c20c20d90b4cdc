using Rekey.Server.Hosting;

if (await ServerCommandLine.AnswerAsync(args, Console.Out, Console.Error) is { } answered)
{
    return answered;
}

WebApplication? app = null;
try
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions
    {
        // Configuration is read once and validated at start; watching the content root for changes would wake a thread
        // on every database write when the data directory lies inside it (measured in bench/README.md).
        Args = [.. args, "--hostBuilder:reloadConfigOnChange=false"],
        // The shipped appsettings.json (quiet framework logging) lies beside the binary: it applies from any working
        // directory. Relative paths in the configuration (Rekey:DataDirectory) still start at the working directory.
        ContentRootPath = AppContext.BaseDirectory,
    });
    builder.AddRekey();
    app = builder.Build();
    Log.Starting(app.Logger, ServerCommandLine.Version, Rekey.Server.Storage.Migrations.Latest(app.Configuration["Rekey:Storage:Provider"] ?? "sqlite"));
    app.MapRekey();

    // Not RunAsync: on a failed start it disposes the host at once, and disposing a background service cancels it
    // before the host knows it is stopping, which the host logs as a crash (a stack trace under a one-line refusal).
    // Here a failed start is stopped first (StopAfterFailedStartAsync), then disposed (finally).
    await app.StartAsync();
    await app.WaitForShutdownAsync();
    return 0;
}
catch (Exception ex) when (StartupErrors.Describe(ex) is { } reason)
{
    // One line that names the cause, before the server listens; no stack trace for a cause the operator can fix.
    await Console.Error.WriteLineAsync("rekey: " + reason);
    await StopAfterFailedStartAsync(app);
    return 1;
}
catch (Exception ex) when (ex is not HostAbortedException)
{
    // A bug: its stack trace is what finds it, logged once at Critical; still exit 1 rather than abort. (Tools that
    // build the host only to inspect it, such as OpenAPI generation, stop it with HostAbortedException: not ours.)
    await Console.Error.WriteLineAsync($"rekey: stopped by an unexpected error: {ex.GetType().Name}: {ex.Message}");
    if (app is not null)
    {
        Log.StoppedByUnexpectedError(app.Logger, ex);
    }
    else
    {
        await Console.Error.WriteLineAsync(ex.ToString());
    }

    return 1;
}
finally
{
    if (app is not null)
    {
        await app.DisposeAsync();
    }
}

// A start that failed after the background services started (the port is taken: Kestrel starts last) must stop them as
// a stop would, before the host is disposed: disposing alone cancels them without the host having been told it is
// stopping, and it then reports a background service that had not yet begun (its task cancelled) as a critical fault,
// with a stack trace, under the one-line error.
static async Task StopAfterFailedStartAsync(WebApplication? app)
{
    if (app is null)
    {
        return;
    }

    try
    {
        // Within the host's shutdown timeout, as any stop: a background service in the middle of a write finishes it.
        await app.StopAsync(CancellationToken.None);
    }
    catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or ObjectDisposedException or ArgumentNullException)
    {
        // The host never got as far as its hosted services (Host.StopAsync then has none to reverse: ArgumentNullException),
        // or stopping took too long: disposing follows either way.
    }
}

/// <summary>Entry point; public so that tests can host the real application.</summary>
public partial class Program;
