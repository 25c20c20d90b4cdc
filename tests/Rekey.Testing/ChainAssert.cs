using Xunit;

namespace Rekey.Testing;

/// <summary>Checks that old/new pairs of concurrent updates form one unbroken chain.</summary>
public static class ChainAssert
{
    /// <summary>
    /// One client's history as the answers tell it, checked against what the database holds: the acknowledged updates
    /// form one chain (no secret replaced twice), an update refused with "nothing changed" is nowhere in it, the chain
    /// ends at the stored secret, and the number of committed updates (their audit events, written in the same
    /// transaction) is that of the acknowledged ones plus some of the unknown ones. A link the answers cannot show (an
    /// update whose outcome was unknown to its caller and that committed) may join two pieces of the chain; only an
    /// unknown update may begin a piece. Returns a line that sums it up.
    /// </summary>
    public static string History(string initial, string final, long committedUpdates, IReadOnlyList<(string? Old, string New)> acknowledged,
        IReadOnlySet<string> unknown, IReadOnlySet<string> refused)
    {
        var forks = acknowledged.GroupBy(a => a.Old).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(forks.Count == 0, $"{forks.Count} secrets were replaced by two acknowledged updates (a fork), e.g. '{forks.FirstOrDefault()}'.");

        var news = acknowledged.Select(a => a.New).ToHashSet(StringComparer.Ordinal);
        var olds = acknowledged.Select(a => a.Old ?? "").ToHashSet(StringComparer.Ordinal);
        foreach (var (old, @new) in acknowledged)
        {
            // The secret an acknowledged update replaced was stored by someone: the first secret, an acknowledged update, or an unknown one.
            Assert.True(old == initial || news.Contains(old ?? "") || unknown.Contains(old ?? ""), $"'{@new}' replaced '{old}', which no update stored.");
            Assert.DoesNotContain(old ?? "", refused);
        }

        Assert.DoesNotContain(final, refused);
        Assert.True(final == initial || news.Contains(final) || unknown.Contains(final), $"the stored secret '{final}' was stored by no update");

        // Pieces of the chain: a piece begins where no acknowledged update led; besides the first secret, only a secret
        // stored by an unknown update may begin one, and every acknowledged secret is the final one or replaced (by an
        // acknowledged update, or by an unknown one that committed — then it ends a piece).
        var heads = olds.Where(o => o != initial && !news.Contains(o)).ToList();
        Assert.All(heads, h => Assert.Contains(h, unknown));
        var tails = news.Where(n => !olds.Contains(n) && n != final).ToList();
        var visibleUnknown = unknown.Count(u => olds.Contains(u) || u == final);
        Assert.True(committedUpdates >= acknowledged.Count + visibleUnknown, $"{committedUpdates} committed updates, fewer than the {acknowledged.Count} acknowledged and {visibleUnknown} seen");
        Assert.True(committedUpdates <= acknowledged.Count + unknown.Count, $"{committedUpdates} committed updates, more than the {acknowledged.Count} acknowledged and {unknown.Count} unknown");
        Assert.True(tails.Count <= committedUpdates - acknowledged.Count, $"{tails.Count} acknowledged secrets were replaced by nothing that committed (lost), e.g. '{tails.FirstOrDefault()}'");
        if (unknown.Count == 0)
        {
            SingleChain(initial, final, acknowledged);
        }

        return $"client: {acknowledged.Count} acknowledged, {committedUpdates} committed, {unknown.Count} unknown ({visibleUnknown} seen in the chain), {tails.Count} pieces joined by unseen updates";
    }

    /// <summary>
    /// Every pair's old secret is the previous pair's new one: starting at <paramref name="initial"/> and following
    /// old → new visits every pair exactly once and ends at <paramref name="final"/>. A lost update shows as two pairs
    /// with the same old secret (a fork); a duplicate as a repeated new secret.
    /// </summary>
    public static void SingleChain(string initial, string? final, IReadOnlyList<(string? Old, string New)> pairs)
    {
        Assert.Equal(pairs.Count, pairs.Select(p => p.New).Distinct().Count());
        var forks = pairs.GroupBy(p => p.Old).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(forks.Count == 0, $"{forks.Count} secrets were replaced more than once (lost updates), e.g. '{forks.FirstOrDefault()}'.");
        var next = pairs.ToDictionary(p => p.Old ?? "", p => p.New);
        var current = initial;
        var steps = 0;
        while (next.TryGetValue(current, out var following))
        {
            current = following;
            steps++;
        }

        Assert.Equal(pairs.Count, steps);
        Assert.Equal(final, current);
    }
}
