using System.Diagnostics;
using Xunit;

namespace Rekey.Testing;

/// <summary>
/// Bounded waits for something a test expects to happen (a count reached, a server serving again). A wait proves
/// only what it waits for: that something did <em>not</em> happen is proved by a gate the test holds, never by
/// waiting a while.
/// </summary>
public static class Waits
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);

    public static Task UntilAsync(Func<bool> condition, string what) => UntilAsync(() => Task.FromResult(condition()), what);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < Bound, $"Timed out after {Bound.TotalSeconds} s waiting for {what}.");
            await Task.Delay(50);
        }
    }
}
