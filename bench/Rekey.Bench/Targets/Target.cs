using System.Text;
using Rekey.Bench.Hosts;

namespace Rekey.Bench.Targets;

/// <summary>One request in flight: the message, and bytes the answer must contain to count as a success.</summary>
internal readonly record struct Exchange(HttpRequestMessage Request, byte[] Expect);

/// <summary>
/// Something the load generator drives at a fixed number of concurrent callers: a kind of request against one
/// server. <see cref="Key"/> identifies it across scenarios, so that "all" measures a shared target (the ceiling)
/// once.
/// </summary>
internal abstract class Target(string key, string label, int concurrency)
{
    private long _sequence;

    public string Key { get; } = key;

    /// <summary>Human description, e.g. "secret update, FULL, pool of 1000 clients".</summary>
    public string Label { get; } = label;

    public int Concurrency { get; } = concurrency;

    /// <summary>Why the target cannot be measured in this run (null when it can).</summary>
    public string? Unavailable { get; protected set; }

    /// <summary>The server process, for CPU readings; null before <see cref="PrepareAsync"/>.</summary>
    public ChildProcess? Server { get; protected set; }

    /// <summary>Every server process the requests go to (two nodes of one database, say), for CPU readings; by default <see cref="Server"/>.</summary>
    public virtual IReadOnlyList<ChildProcess> Servers => Server is null ? [] : [Server];

    /// <summary>The PostgreSQL database the servers use, for the database figures of each window; null on other stores.</summary>
    public PostgresDatabase? Database { get; protected set; }

    /// <summary>Starts (or reuses) the server and checks, with one real request, that the target answers.</summary>
    public abstract Task PrepareAsync(Fixtures fixtures, HttpClient http, CancellationToken ct);

    /// <summary>One measured window: by default the HTTP load generator; a target may drive its own load (pgbench).</summary>
    public virtual Task<Load.Round> MeasureAsync(HttpClient http, TimeSpan duration, bool diagnose, CancellationToken ct) =>
        Load.LoadGenerator.RunAsync(http, this, duration, ct, diagnose);

    /// <summary>A new, distinct request. Called concurrently by the workers.</summary>
    public abstract Exchange Create(long sequence);

    /// <summary>What the console line of the last measured window adds for this kind of target (nothing by default).</summary>
    public virtual string RoundNote => "";

    public void MarkUnavailable(string reason) => Unavailable = reason;

    public long NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>Sends one request outside the measurement; returns (status, body).</summary>
    protected async Task<(int Status, string Body)> ProbeAsync(HttpClient http, CancellationToken ct)
    {
        var exchange = Create(NextSequence());
        using var request = exchange.Request;
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        return ((int)response.StatusCode, body);
    }

    protected static string Snippet(string body) => body.Length <= 160 ? body : body[..160] + "…";

    protected static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
