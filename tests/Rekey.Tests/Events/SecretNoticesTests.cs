using Rekey.Contracts;
using Rekey.Server.Events;
using Rekey.Server.Secrets;

namespace Rekey.Tests.Events;

/// <summary>When secret notices are due: the planner the sweep and every rotation use.</summary>
public sealed class SecretNoticesTests
{
    private const long Day = 86_400_000;
    private static readonly IReadOnlyList<long> Defaults = SecretNotices.DefaultWarnings;

    private static NewSecret Secret(long id, long? expiresAt) =>
        new(id, new SealedSecret("k1", [1, 2, 3], [4, 5, 6]), "abcd", expiresAt);

    private static SecretSet Created(long at, long lifetimeDays) => SecretSet.First(Secret(1, at + (lifetimeDays * Day)), at);

    [Fact]
    public void a_secret_without_expiry_and_no_grace_needs_no_sweep()
    {
        var secrets = SecretSet.First(Secret(1, null), 0);
        Assert.Equal((0, (long?)null), (SecretNotices.Plan(secrets, Defaults, 0).Due.Count, SecretNotices.Plan(secrets, Defaults, 0).NextAt));
        Assert.Null(SecretNotices.NextSweep(secrets, Defaults, 0));
    }

    [Fact]
    public void a_90_day_secret_is_warned_30_7_and_1_day_before_then_announced_expired()
    {
        var secrets = Created(0, 90);
        Assert.Equal(60 * Day, SecretNotices.NextSweep(secrets, Defaults, 0));

        var (due, next) = SecretNotices.Plan(secrets, Defaults, 60 * Day);
        Assert.Equal([new SecretNotice(1, EventTypes.SecretExpiring, 30 * 86400, 90 * Day, false)], due);
        Assert.Equal(83 * Day, next);

        (due, next) = SecretNotices.Plan(secrets, Defaults, 83 * Day);
        Assert.Equal(7 * 86400, Assert.Single(due).ThresholdSeconds);
        Assert.Equal(89 * Day, next);

        (due, next) = SecretNotices.Plan(secrets, Defaults, 89 * Day);
        Assert.Equal(86400, Assert.Single(due).ThresholdSeconds);
        Assert.Equal(90 * Day, next);

        (due, next) = SecretNotices.Plan(secrets, Defaults, 90 * Day);
        Assert.Equal(new SecretNotice(1, EventTypes.SecretExpired, 0, 90 * Day, false), Assert.Single(due));
        Assert.Null(next);
    }

    [Fact]
    public void after_an_outage_only_the_nearest_due_threshold_is_announced()
    {
        var (due, _) = SecretNotices.Plan(Created(0, 90), Defaults, 89 * Day + 1);
        Assert.Equal(86400, Assert.Single(due).ThresholdSeconds);
    }

    [Fact]
    public void a_threshold_longer_than_the_secret_had_left_is_never_announced()
    {
        // A 5-day secret: no 30- or 7-day warning, the 1-day one at day 4.
        var secrets = Created(0, 5);
        Assert.Equal(4 * Day, SecretNotices.NextSweep(secrets, Defaults, 0));
        Assert.Empty(SecretNotices.Plan(secrets, Defaults, 3 * Day).Due);
    }

    [Fact]
    public void a_previous_secret_is_announced_before_and_at_the_end_of_its_grace_period()
    {
        var secrets = SecretSet.First(Secret(1, null), 0).Rotate(Secret(2, null), 10 * Day, graceSeconds: 10 * 86400);
        // The grace period ends at day 20: 7 days before (day 13), 1 day before (day 19); 30 days is longer than the grace.
        Assert.Equal(13 * Day, SecretNotices.NextSweep(secrets, Defaults, 10 * Day));
        var (due, _) = SecretNotices.Plan(secrets, Defaults, 19 * Day);
        Assert.Equal(new SecretNotice(1, EventTypes.SecretExpiring, 86400, 20 * Day, true), Assert.Single(due));
        (due, var next) = SecretNotices.Plan(secrets, Defaults, 20 * Day);
        Assert.Equal(new SecretNotice(1, EventTypes.SecretGraceEnded, 0, 20 * Day, true), Assert.Single(due));
        Assert.Null(next);
    }

    [Fact]
    public void a_one_day_grace_does_not_warn_one_day_left_at_once()
    {
        var secrets = SecretSet.First(Secret(1, null), 0).Rotate(Secret(2, null), Day, graceSeconds: 86400);
        Assert.Empty(SecretNotices.Plan(secrets, Defaults, Day).Due);
        Assert.Equal(2 * Day, SecretNotices.NextSweep(secrets, Defaults, Day));
    }

    [Fact]
    public void a_revoked_secret_is_never_announced_and_a_long_past_deadline_is_history()
    {
        var secrets = SecretSet.First(Secret(1, null), 0).Rotate(Secret(2, null), Day, graceSeconds: 0);
        Assert.Null(SecretNotices.NextSweep(secrets, Defaults, Day));
        Assert.Empty(SecretNotices.Plan(Created(0, 1), Defaults, Day + (long)SecretNotices.StaleAfter.TotalMilliseconds + 1).Due);
    }

    [Fact]
    public void no_thresholds_still_announce_the_end()
    {
        var secrets = Created(0, 2);
        Assert.Equal(2 * Day, SecretNotices.NextSweep(secrets, [], 0));
    }

    [Fact]
    public void the_stored_form_of_the_thresholds_round_trips_and_null_means_the_default()
    {
        Assert.Equal(Defaults, SecretNotices.Decode(null));
        Assert.Empty(SecretNotices.Decode(SecretNotices.Encode([])));
        Assert.Equal([3L, 60], SecretNotices.Decode(SecretNotices.Encode([60, 3])));
    }
}
