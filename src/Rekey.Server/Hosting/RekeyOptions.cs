namespace Rekey.Server.Hosting;

/// <summary>Configuration section <c>Rekey</c> (environment variables <c>Rekey__…</c>).</summary>
internal sealed class RekeyOptions
{
    public const string Section = "Rekey";

    /// <summary>Where the SQLite file, the admin token and the master key file live; a relative path starts at the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The organisation token; when empty it is generated into <c>&lt;DataDirectory&gt;/admin-token</c>.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Master keys (<c>id:base64</c> or base64 of 32 bytes), oldest first; when empty, the key file is used.</summary>
    public List<string> MasterKeys { get; set; } = [];

    /// <summary>
    /// The public origin of this server (e.g. <c>https://rekey.example.com</c>), used to build each service's issuer
    /// <c>{PublicBaseUrl}/oauth2/{serviceId}</c>. When empty, the origin of each request is used; set it behind a
    /// proxy or when several nodes answer under one name, so that every token carries the same issuer.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Largest request body accepted on /api, in bytes.</summary>
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// How long a rotated-in signing key is published in the JWKS before it signs, so that verifiers caching the JWKS
    /// have fetched it before they meet a token it signed. Default one day: Rekey answers the JWKS with
    /// <c>max-age=60</c> and jose keeps it up to 10 minutes, but Microsoft.IdentityModel (JwtBearer) refreshes its
    /// metadata only every 12 hours by default, and only when a request comes.
    /// </summary>
    public TimeSpan SigningKeyActivationDelay { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long a replaced signing key stays published after the last token it signed has expired: the clock skew that
    /// verifiers allow (Microsoft.IdentityModel's default is 5 minutes). Default 5 minutes.
    /// </summary>
    public TimeSpan SigningKeyRetirementMargin { get; set; } = TimeSpan.FromMinutes(5);

    public StorageOptions Storage { get; set; } = new();

    /// <summary>The proxies whose <c>X-Forwarded-For</c>/<c>-Proto</c>/<c>-Host</c> are believed; none by default.</summary>
    public ForwardedHeadersSettings ForwardedHeaders { get; set; } = new();

    /// <summary>The web console at <c>/console</c> (docs/console.md).</summary>
    public ConsoleOptions Console { get; set; } = new();

    /// <summary>Lifecycle events: the expiry sweep and how long events are kept (docs/events.md).</summary>
    public EventsOptions Events { get; set; } = new();

    /// <summary>Webhook deliveries: retries, timeouts, which addresses may be called (docs/events.md).</summary>
    public WebhooksOptions Webhooks { get; set; } = new();

    /// <summary>Leaked secrets: the identifiable prefix and GitHub's secret-scanning reports (docs/leaks.md).</summary>
    public LeaksOptions Leaks { get; set; } = new();

    public CacheOptions Cache { get; set; } = new();

    public override string ToString() => $"RekeyOptions {{ DataDirectory = {DataDirectory}, Provider = {Storage.Provider} }}";
}

internal sealed class StorageOptions
{
    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>Optional for SQLite (default <c>Data Source=&lt;DataDirectory&gt;/rekey.db</c>), required for PostgreSQL.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>SQLite <c>PRAGMA synchronous</c>: <c>FULL</c> (default, durable against power loss) or <c>NORMAL</c>.</summary>
    public string SqliteSynchronous { get; set; } = "FULL";

    /// <summary>
    /// Most SQLite writes waiting for the single writer or being written; one more is refused at once with 503
    /// (A000105, <c>Retry-After</c>) instead of queueing without limit.
    /// </summary>
    public int SqliteWriteQueueLimit { get; set; } = Storage.Sqlite.SqliteWriteQueue.DefaultLimit;

    /// <summary>
    /// How long the start waits, with backoff, for a database that does not answer yet (a node started before its
    /// PostgreSQL) before it gives up with one line; 0 tries once. Default 30.
    /// </summary>
    public int StartupTimeoutSeconds { get; set; } = 30;
}

/// <summary>
/// <c>Rekey:ForwardedHeaders</c>: the reverse proxies and load balancers in front of Rekey. Only a request whose
/// connection comes from one of them has its <c>X-Forwarded-*</c> headers applied (client address, scheme, host); with
/// none configured the headers are ignored from everyone, loopback included.
/// </summary>
internal sealed class ForwardedHeadersSettings
{
    /// <summary>IP addresses of trusted proxies, e.g. <c>10.0.0.1</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation, e.g. <c>10.0.0.0/8</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public bool Enabled => KnownProxies.Count > 0 || KnownNetworks.Count > 0;
}

/// <summary>
/// Configuration section <c>Rekey:Cache</c>: each node's verification cache (<see cref="Storage.VerificationCache"/>) of
/// what client authentication reads — services, and clients with their secrets' digests — so that a token request does
/// not go to the database.
/// </summary>
internal sealed class CacheOptions
{
    /// <summary>Off: every token request reads the client from the database, as before version 0.16.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The most memory the entries may take, in MiB (1–4096; default 64, about 48,000 typical clients).</summary>
    public int MaxMegabytes { get; set; } = 64;

    /// <summary>
    /// The propagation bound, in milliseconds (500–60000; default 1000; heartbeats go every 200 ms): after a change that affects authentication
    /// (revoke, rotation, lock, delete, key rotation, service settings) is acknowledged by any node, no node serves the
    /// old state from its cache longer than this: a node uses its cache only while its change feed (PostgreSQL
    /// LISTEN/NOTIFY) has proved itself within this time. SQLite has one node, which forgets its own changes at once.
    /// </summary>
    public int StalenessMilliseconds { get; set; } = 1000;

    /// <summary>
    /// PostgreSQL only: where the change feed connects (LISTEN needs a session of its own: behind PgBouncer in
    /// transaction pooling mode, name the database directly here). Default: <c>Rekey:Storage:ConnectionString</c>.
    /// </summary>
    public string? FeedConnectionString { get; set; }
}

/// <summary>Configuration section <c>Rekey:Events</c>.</summary>
internal sealed class EventsOptions
{
    /// <summary>How often the sweep looks for secrets whose expiry warning, expiry or end of grace is due, in seconds (1–3600).</summary>
    public int SweepIntervalSeconds { get; set; } = 60;

    /// <summary>How long events (and their delivery log) are kept once nothing is left to deliver, in days (1–3650).</summary>
    public int RetentionDays { get; set; } = 30;
}

/// <summary>Configuration section <c>Rekey:Leaks</c>.</summary>
internal sealed class LeaksOptions
{
    /// <summary>
    /// The prefix of <c>IDENTIFIABLE</c> secrets this deployment generates: 2 to 24 characters of <c>A-Z a-z 0-9 - _</c>,
    /// ending with <c>_</c> or <c>-</c>. Choose your own (for example <c>acme_rks_</c>) before registering a pattern with a
    /// scanning program: the pattern must find your secrets and nobody else's. Changing it later leaves the secrets already
    /// generated as they are (they still verify; scanners looking for the new prefix no longer find them).
    /// </summary>
    public string SecretPrefix { get; set; } = Contracts.IdentifiableSecret.DefaultPrefix;

    /// <summary>How long a signed report is remembered to answer its replays, in days (1–3650).</summary>
    public int ReportRetentionDays { get; set; } = 90;

    /// <summary>GitHub's secret-scanning partner reports at <c>POST /leaks/github</c>.</summary>
    public GitHubLeaksOptions GitHub { get; set; } = new();
}

/// <summary>Configuration section <c>Rekey:Leaks:GitHub</c>: the endpoint is on when a public key is configured.</summary>
internal sealed class GitHubLeaksOptions
{
    /// <summary>GitHub's signing keys: each an identifier and a PEM public key (ECDSA P-256), as GitHub publishes them.</summary>
    public List<GitHubPublicKeyOptions> PublicKeys { get; set; } = [];

    /// <summary>
    /// A file holding GitHub's key document as served at <c>https://api.github.com/meta/public_keys/secret_scanning</c>
    /// (<c>{"public_keys":[{"key_identifier":…,"key":…}]}</c>), read at start; its keys add to <see cref="PublicKeys"/>.
    /// </summary>
    public string? PublicKeysFile { get; set; }

    /// <summary>The most matches one report may carry (1–10000).</summary>
    public int MaxMatches { get; set; } = 1000;
}

/// <summary>One of GitHub's secret-scanning public keys.</summary>
internal sealed class GitHubPublicKeyOptions
{
    /// <summary>GitHub's <c>key_identifier</c>: the value of the <c>Github-Public-Key-Identifier</c> header.</summary>
    public string KeyIdentifier { get; set; } = "";

    /// <summary>The PEM <c>-----BEGIN PUBLIC KEY-----</c> block.</summary>
    public string Key { get; set; } = "";
}

/// <summary>Configuration section <c>Rekey:Webhooks</c>.</summary>
internal sealed class WebhooksOptions
{
    /// <summary>
    /// Allows webhook URLs on loopback and private networks (and plain http to them): for a receiver on the same machine
    /// or network. Off by default: a webhook URL could otherwise reach services that only trust their network.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long one attempt may take, connection included, in seconds (1–60).</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// How long past <see cref="TimeoutSeconds"/> a node holds a delivery it took, in seconds (1–300): its time to record
    /// the attempt's outcome. A node that dies mid-attempt (killed, or cut off from the database) leaves the delivery due
    /// again once the timeout and this margin have passed, for any node to send. A node that records later than that (a
    /// store slower than the margin) may see the delivery sent a second time, with the same <c>webhook-id</c>: at least
    /// once, never lost. A shorter margin resends sooner after a crash; a longer one tolerates a slower store.
    /// </summary>
    public int LeaseMarginSeconds { get; set; } = 30;

    /// <summary>
    /// The waits after each failed attempt, before the next (each varied by ±20% so that receivers coming back are not
    /// hit all at once). The default (the Standard Webhooks reference schedule): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h —
    /// eight attempts over about 27 hours. After the last, the delivery is failed (and can be redelivered).
    /// </summary>
    public List<TimeSpan> RetrySchedule { get; set; } = [];

    /// <summary>A webhook whose every delivery has failed for this long is disabled (default 5 days).</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How often a node looks for due deliveries when it found none, in milliseconds (50–60000).</summary>
    public int PollIntervalMilliseconds { get; set; } = 1000;

    /// <summary>Delivery attempts one node has in flight at once (1–64); a slow receiver holds one slot, not the others.</summary>
    public int Concurrency { get; set; } = 16;

    /// <summary>Webhooks one service may have.</summary>
    public int MaxPerService { get; set; } = 20;

    public static readonly IReadOnlyList<TimeSpan> DefaultRetrySchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>The schedule in force: the configured one, or the default when none is configured.</summary>
    public IReadOnlyList<TimeSpan> Schedule => RetrySchedule.Count > 0 ? RetrySchedule : DefaultRetrySchedule;
}

/// <summary>Configuration section <c>Rekey:Console</c>.</summary>
internal sealed class ConsoleOptions
{
    /// <summary>Serves the console at <c>/console</c>; false answers 404 there.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A session unused this long is over (default 30 minutes).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A session is over this long after sign-in, used or not (default 12 hours).</summary>
    public TimeSpan AbsoluteTimeout { get; set; } = TimeSpan.FromHours(12);
}
