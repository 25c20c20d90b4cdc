namespace Rekey.Sdk.Tests;

/// <summary>
/// A server whose webhooks may call receivers on loopback (a <see cref="WebhookReceiver"/>, <c>rekey webhook listen</c>),
/// that looks for due deliveries every 100 ms and retries after a second: the settings of Rekey.Tests' webhook suite.
/// </summary>
public sealed class WebhookServerFixture : ServerFixture
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    protected override IReadOnlyDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["Rekey:Webhooks:AllowPrivateNetworks"] = "true",
        ["Rekey:Webhooks:PollIntervalMilliseconds"] = "100",
        ["Rekey:Webhooks:RetrySchedule:0"] = "00:00:01",
        ["Rekey:Webhooks:RetrySchedule:1"] = "00:00:01",
        ["Rekey:Webhooks:RetrySchedule:2"] = "00:00:01",
    };
}
