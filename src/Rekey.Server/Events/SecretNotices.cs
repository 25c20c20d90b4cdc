using Rekey.Contracts;
using Rekey.Server.Secrets;

namespace Rekey.Server.Events;

/// <summary>
/// One announcement about one secret: that it stops working in <see cref="ThresholdSeconds"/> (<c>expiring</c>), or that
/// it has stopped (<c>expired</c>, <c>grace_ended</c>; threshold 0). Given once per secret, kind and threshold, ever.
/// </summary>
internal sealed record SecretNotice(long SecretId, string Type, long ThresholdSeconds, long Deadline, bool Previous);

/// <summary>
/// When a client's secrets need announcing, as one pure function of its secrets, the service's thresholds and the time:
/// what is due now, and the next moment anything will be. The store keeps that moment in the client's row
/// (<c>next_notice_at</c>, indexed), so the sweep reads only the clients with something due.
/// </summary>
/// <remarks>
/// A current secret's deadline is its <c>expiresAt</c>; a previous one's the end of its grace period (or its own expiry,
/// when that comes first). A threshold is announced only if the deadline was further away than the threshold when it
/// was set (a current secret from its creation, a previous one from the rotation that replaced it): a rotation with one
/// day of grace does not warn "one day left" at once. Of the thresholds due together (the server was down, or the secret
/// was created with less time than the largest), only the nearest is announced. A deadline that passed more than
/// <see cref="StaleAfter"/> ago is not announced at all (secrets that ended long before events existed, or before a
/// long outage): a notice is news, not history.
/// </remarks>
internal static class SecretNotices
{
    public static readonly IReadOnlyList<long> DefaultWarnings = [30 * 86400, 7 * 86400, 86400];

    public const int MaxWarnings = 10;

    /// <summary>The most a threshold may be: the longest secret lifetime.</summary>
    public const long MaxWarningSeconds = SecretPolicy.MaxLifetimeSeconds;

    public static readonly TimeSpan StaleAfter = TimeSpan.FromDays(7);

    /// <summary>The stored form of a service's thresholds: NULL for the default, else seconds space-separated (empty: none).</summary>
    public static string? Encode(IReadOnlyList<long>? warnings) =>
        warnings is null ? null : string.Join(' ', warnings.Order());

    public static IReadOnlyList<long> Decode(string? stored) =>
        stored is null ? DefaultWarnings : [.. stored.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse)];

    public static (List<SecretNotice> Due, long? NextAt) Plan(SecretSet secrets, IReadOnlyList<long> warnings, long now)
    {
        var due = new List<SecretNotice>();
        long? next = null;
        var entries = secrets.Entries;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            long deadline, since;
            string endType;
            switch (e.State)
            {
                case SecretPolicy.StateCurrent when e.ExpiresAt is { } expires:
                    (deadline, since, endType) = (expires, e.CreatedAt, EventTypes.SecretExpired);
                    break;
                case SecretPolicy.StatePrevious when e.ValidUntil is { } until:
                    // Entries are newest first: the one before this replaced it.
                    var replacedAt = i > 0 ? entries[i - 1].CreatedAt : e.CreatedAt;
                    (deadline, since, endType) = e.ExpiresAt < until
                        ? (e.ExpiresAt.Value, replacedAt, EventTypes.SecretExpired)
                        : (until, replacedAt, EventTypes.SecretGraceEnded);
                    break;
                default:
                    continue;
            }

            var previous = e.State == SecretPolicy.StatePrevious;
            if (deadline <= now)
            {
                if (now - deadline <= (long)StaleAfter.TotalMilliseconds)
                {
                    due.Add(new SecretNotice(e.SecretId, endType, 0, deadline, previous));
                }

                continue;
            }

            Earliest(ref next, deadline);
            long? nearestDue = null;
            foreach (var threshold in warnings)
            {
                var moment = deadline - (threshold * 1000);
                if (deadline - since <= threshold * 1000)
                {
                    continue;
                }

                if (moment <= now)
                {
                    nearestDue = nearestDue is { } n ? Math.Min(n, threshold) : threshold;
                }
                else
                {
                    Earliest(ref next, moment);
                }
            }

            if (nearestDue is { } t)
            {
                due.Add(new SecretNotice(e.SecretId, EventTypes.SecretExpiring, t, deadline, previous));
            }
        }

        return (due, next);
    }

    /// <summary>What a client's row keeps after a change of its secrets: now when something is due, else the next moment.</summary>
    public static long? NextSweep(SecretSet secrets, IReadOnlyList<long> warnings, long now)
    {
        var (due, next) = Plan(secrets, warnings, now);
        return due.Count > 0 ? now : next;
    }

    private static void Earliest(ref long? next, long moment) => next = next is { } n ? Math.Min(n, moment) : moment;
}
