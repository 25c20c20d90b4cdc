using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Rekey.Bench.Hosts;
using Rekey.Bench.Load;
using Rekey.Contracts;

namespace Rekey.Bench.Targets;

/// <summary>
/// What the dispatcher did in one measured window of a target with a webhook: the updates acknowledged, the events the
/// receiver got during the window, the backlog (deliveries queued and not yet received) when the window ended, and how
/// long the dispatcher then took to deliver it with no load (null: not within the bound); and the events the receiver got
/// more than once meanwhile (at least once: a delivery whose lease ran out is sent again).
/// </summary>
internal sealed record OutboxWindow(int Updates, double Seconds, long Delivered, long Backlog, TimeSpan? Drained, long SentAgain)
{
    public double UpdatesPerSecond => Updates / Seconds;

    public double DeliveredPerSecond => Delivered / Seconds;
}

/// <summary>
/// The outbox scenario: the pool update (<see cref="UpdateTarget.Outbox"/>) on a server whose service has no webhook, or
/// one enabled webhook for every event type, sending to the run's <see cref="WebhookSink"/>. With the webhook, the
/// server's dispatcher (its default settings: 8 deliveries at once, polling every second when idle) delivers while the
/// updates are measured. After each window the target reads what was delivered during it and the backlog left, then
/// waits for the dispatcher to catch up, so that no other target is measured beside a dispatcher still draining.
/// </summary>
internal sealed class OutboxTarget : Target
{
    private readonly UpdateTarget _update;
    private WebhookSink? _sink;
    private RekeyServerHost? _host;
    private string _name = "";
    private string _deliveries = "";

    private OutboxTarget(UpdateTarget update, bool webhook)
        : base(update.Key, update.Label, update.Concurrency)
    {
        _update = update;
        Webhook = webhook;
    }

    public static OutboxTarget Create(string store, bool webhook, int concurrency) => new(UpdateTarget.Outbox(store, webhook, concurrency), webhook);

    public bool Webhook { get; }

    public int PoolSize => _update.PoolSize;

    /// <summary>Measured windows, in order (targets with a webhook only).</summary>
    public List<OutboxWindow> Windows { get; } = [];

    public OutboxWindow? WarmUp { get; private set; }

    public override async Task PrepareAsync(Fixtures fixtures, HttpClient http, CancellationToken ct)
    {
        await _update.PrepareAsync(fixtures, http, ct);
        Server = _update.Server;
        Unavailable = _update.Unavailable;
        if (!Webhook || Unavailable is not null || _update.Host is not { } host)
        {
            return;
        }

        // The webhook comes after the set-up: the clients' creation events were written before it, and queue nothing.
        _sink = await fixtures.GetAsync("webhook-sink", (_, token) => WebhookSink.StartAsync(token), ct);
        _name = host.Process.Name;
        _host = host;
        using var admin = host.CreateAdminClient();
        using var created = await admin.PostAsJsonAsync($"api/{host.ServiceId}/webhook/create",
            new WebhookRequest { Url = _sink.UrlFor(_name).ToString(), Description = "bench receiver" }, RekeyJsonContext.Default.WebhookRequest, ct);
        var body = await created.Content.ReadAsStringAsync(ct);
        if (!created.IsSuccessStatusCode
            || System.Text.Json.JsonSerializer.Deserialize(body, RekeyJsonContext.Default.WebhookInfo) is not { WebhookId: var webhookId and > 0 })
        {
            Unavailable = $"webhook/create answered {(int)created.StatusCode}: {Snippet(body)}";
            return;
        }

        _deliveries = $"api/{host.ServiceId}/webhook/deliveries/{webhookId.ToString(CultureInfo.InvariantCulture)}?start=0&end=0";
    }

    public override Exchange Create(long sequence) => _update.Create(sequence);

    public override async Task<Round> MeasureAsync(HttpClient http, TimeSpan duration, bool diagnose, CancellationToken ct)
    {
        if (!Webhook || _sink is null)
        {
            return await base.MeasureAsync(http, duration, diagnose, ct);
        }

        var deliveredBefore = _sink.Delivered(_name);
        var sentAgainBefore = _sink.Requests(_name) - deliveredBefore;
        var round = await base.MeasureAsync(http, duration, diagnose, ct);
        var delivered = _sink.Delivered(_name) - deliveredBefore;
        var queued = await QueuedAsync(ct);
        var backlog = Math.Max(0, queued - _sink.Delivered(_name));

        var bound = TimeSpan.FromSeconds(Math.Max(30, 3 * duration.TotalSeconds));
        var drain = Stopwatch.StartNew();
        while (_sink.Delivered(_name) < queued && drain.Elapsed < bound)
        {
            await Task.Delay(20, ct);
        }

        var window = new OutboxWindow(round.Requests, round.Seconds, delivered, backlog, _sink.Delivered(_name) >= queued ? drain.Elapsed : null,
            _sink.Requests(_name) - _sink.Delivered(_name) - sentAgainBefore);
        if (diagnose)
        {
            Windows.Add(window);
        }
        else
        {
            WarmUp = window;
        }

        return round;
    }

    public override string RoundNote => !Webhook || (Windows.LastOrDefault() ?? WarmUp) is not { } w
        ? ""
        : string.Create(CultureInfo.InvariantCulture,
            $"  delivered {w.DeliveredPerSecond:0}/s  backlog {w.Backlog} ({(w.Drained is { } d ? $"drained in {d.TotalSeconds:0.0} s" : "not drained")})");

    /// <summary>Deliveries queued for the webhook so far: the delivery log's total.</summary>
    private async Task<long> QueuedAsync(CancellationToken ct)
    {
        using var admin = (_host ?? throw new InvalidOperationException("PrepareAsync first.")).CreateAdminClient();
        var page = await admin.GetFromJsonAsync(_deliveries, RekeyJsonContext.Default.WebhookDeliveryListResponse, ct)
            ?? throw new InvalidOperationException("The delivery log answered nothing.");
        return page.TotalCount;
    }
}
