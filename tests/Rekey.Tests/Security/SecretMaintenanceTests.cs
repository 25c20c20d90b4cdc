using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rekey.Server.Hosting;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Tests.Security;

/// <summary>
/// Shutdown of the last-use flush. A host may be stopped twice at once — a test host is: the factory stops it while
/// the application's own <c>RunAsync</c> stops it too, then disposes the services, store included. No stop may
/// return while last-use times drained by another are still being written, or the store is disposed under that write
/// (seen on PostgreSQL as an ObjectDisposedException from the data source, and the times are lost).
/// </summary>
public sealed class SecretMaintenanceTests
{
    [Fact]
    public async Task a_second_stop_waits_for_the_flush_of_the_first()
    {
        var store = GatedStore.Create(out var gated);
        var usage = new SecretUsage();
        var keys = new KeyLifecycle(store, new SecretCipher(new KeyRing([new MasterKey("m1", new byte[32])])), TimeProvider.System, NullLogger<KeyLifecycle>.Instance);
        var maintenance = new SecretMaintenance(store, keys, usage, Options.Create(new RekeyOptions()), TimeProvider.System, NullLogger<SecretMaintenance>.Instance);
        usage.Record(7, 1, 1_000);

        var first = maintenance.StopAsync(CancellationToken.None);
        await gated.Writing.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var second = maintenance.StopAsync(CancellationToken.None);
        await Waits.UntilAsync(() => maintenance.WaitingToFlush == 1, "the second stop waiting behind the first one's flush");

        Assert.False(second.IsCompleted, "the second stop returned while the first one's flush was still writing");
        gated.Release.SetResult();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([new SecretUse(7, 1, 1_000)], gated.Written);
    }

    /// <summary>A store whose only working call is <see cref="IRekeyStore.RecordSecretUseAsync"/>, which waits for <see cref="Release"/>.</summary>
    public class GatedStore : DispatchProxy
    {
        public TaskCompletionSource Writing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal List<SecretUse> Written { get; } = [];

        internal static IRekeyStore Create(out GatedStore gated)
        {
            var proxy = Create<IRekeyStore, GatedStore>();
            gated = (GatedStore)(object)proxy;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(IRekeyStore.RecordSecretUseAsync))
            {
                throw new NotSupportedException(targetMethod?.Name);
            }

            return RecordAsync((IReadOnlyCollection<SecretUse>)args![0]!);
        }

        private async Task RecordAsync(IReadOnlyCollection<SecretUse> uses)
        {
            Writing.TrySetResult();
            await Release.Task;
            Written.AddRange(uses);
        }
    }
}
