using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Rekey.Bench.Hosts;
using Rekey.Contracts;

namespace Rekey.Bench.Targets;

/// <summary>The ceiling: the update's JSON body against the no-op endpoint of bench/Rekey.Bench.Ceiling.</summary>
internal sealed class CeilingTarget(int concurrency) : Target($"ceiling@{concurrency}", "no-op endpoint, same stack (ceiling)", concurrency)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly byte[] Expect = Utf8("\"resultCode\"");
    private Uri _uri = new("http://127.0.0.1/");

    public override async Task PrepareAsync(Fixtures fixtures, HttpClient http, CancellationToken ct)
    {
        var host = await fixtures.GetAsync("ceiling", CeilingHost.StartAsync, ct);
        Server = host.Process;
        _uri = new Uri(host.Process.BaseAddress, "noop/123456789012/client/secret/update/123456789013");
        var (status, body) = await ProbeAsync(http, ct);
        if (status != 200)
        {
            Unavailable = $"probe failed: {status} {Snippet(body)}";
        }
    }

    public override Exchange Create(long sequence)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new ClientSecretUpdateRequest { ClientSecret = Secrets.Next(sequence) }, RekeyJsonContext.Default.ClientSecretUpdateRequest);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = Json;
        return new Exchange(new HttpRequestMessage(HttpMethod.Post, _uri) { Content = content }, Expect);
    }
}

/// <summary>
/// <c>POST /api/{serviceId}/client/secret/update/{clientId}</c> through the real server, with a distinct valid secret
/// each time; the answer must carry that secret as <c>newClientSecret</c>. Either spread round-robin over the pool of
/// clients, or all on one hot client.
/// </summary>
internal sealed class UpdateTarget : Target
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly AuthenticationHeaderValue Bearer = new("Bearer", RekeyServerHost.AdminToken);
    private readonly string _hostKey;
    private readonly Func<Fixtures, CancellationToken, Task<RekeyServerHost>> _start;
    private string _prefix = "";
    private long[] _clientIds = [];

    public UpdateTarget(string synchronous, bool hot, int concurrency)
        : base($"update-{synchronous.ToLowerInvariant()}-{(hot ? "hot" : "pool")}@{concurrency}",
            $"secret update, synchronous={synchronous}, {(hot ? "one hot client" : "pool of clients")}", concurrency)
    {
        Synchronous = synchronous;
        Hot = hot;
        _hostKey = "rekey-" + synchronous;
        _start = RekeyServerHost.Starter(synchronous);
    }

    private UpdateTarget(string key, string label, int concurrency, string hostKey, Func<Fixtures, CancellationToken, Task<RekeyServerHost>> start)
        : base(key, label, concurrency)
    {
        Synchronous = "FULL";
        _hostKey = hostKey;
        _start = start;
    }

    /// <summary>
    /// The scale scenario's update: FULL, round-robin over every client of a registry of <paramref name="clients"/>
    /// (so in a large registry nearly every update touches a client no recent request touched).
    /// </summary>
    public static UpdateTarget Registry(int clients, int concurrency, TimeSpan seedBudget)
    {
        var name = "rekey-registry-" + Count(clients);
        return new UpdateTarget($"update-registry-{Count(clients)}@{concurrency}", $"secret update, FULL, registry of {clients} clients", concurrency,
            name, RekeyServerHost.Registry(name, clients, seedBudget));
    }

    /// <summary>
    /// The postgres scenario's update: the pool on a server whose store is the run's PostgreSQL cluster. Reported as
    /// not available when the server refuses the provider (it has none yet) — the last line of its log says why.
    /// </summary>
    public static UpdateTarget Postgres(int concurrency) =>
        new($"update-postgres-pool@{concurrency}", "secret update, PostgreSQL store, pool of clients", concurrency, "rekey-postgres",
            RekeyServerHost.OnPostgresAsync);

    /// <summary>
    /// The outbox scenario's update: the pool on a server of its own that may call loopback webhooks (SQLite FULL, or a
    /// database of its own on the run's PostgreSQL cluster). The key and the server's name say whether its service gets
    /// a webhook; <see cref="OutboxTarget"/> creates it.
    /// </summary>
    public static UpdateTarget Outbox(string store, bool webhook, int concurrency)
    {
        var name = $"rekey-{store}-{(webhook ? "webhook" : "nowebhook")}";
        var label = $"secret update, {(store == "postgres" ? "PostgreSQL" : "SQLite FULL")}, pool of clients, {(webhook ? "one webhook (receiver answers 204)" : "no webhook")}";
        const string AllowLoopback = "--Rekey:Webhooks:AllowPrivateNetworks=true";
        return new($"update-{store}-{(webhook ? "webhook" : "nowebhook")}@{concurrency}", label, concurrency, name,
            store == "postgres" ? RekeyServerHost.OnPostgres(name, name.Replace('-', '_'), AllowLoopback) : RekeyServerHost.OnSqlite(name, AllowLoopback));
    }

    public static string Count(int n) => n switch
    {
        >= 1_000_000 when n % 1_000_000 == 0 => $"{n / 1_000_000}m",
        >= 1_000 when n % 1_000 == 0 => $"{n / 1_000}k",
        _ => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public string Synchronous { get; }

    public bool Hot { get; }

    public int PoolSize => _clientIds.Length;

    public RekeyServerHost? Host { get; private set; }

    public override async Task PrepareAsync(Fixtures fixtures, HttpClient http, CancellationToken ct)
    {
        var host = await fixtures.GetAsync(_hostKey, _start, ct);
        Host = host;
        Server = host.Process;
        Database = host.Database;
        _prefix = new Uri(host.Process.BaseAddress, $"api/{host.ServiceId}/client/secret/update/").ToString();
        _clientIds = (Hot ? [host.Hot] : host.Pool).Select(c => c.ClientId).ToArray();
        var (status, body) = await ProbeAsync(http, ct);
        if (status != 200)
        {
            Unavailable = $"probe failed: {status} {Snippet(body)}";
        }
    }

    public override Exchange Create(long sequence)
    {
        var secret = Secrets.Next(sequence);
        var body = JsonSerializer.SerializeToUtf8Bytes(new ClientSecretUpdateRequest { ClientSecret = secret }, RekeyJsonContext.Default.ClientSecretUpdateRequest);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = Json;
        var clientId = _clientIds[sequence % _clientIds.Length];
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_prefix + clientId.ToString(System.Globalization.CultureInfo.InvariantCulture))) { Content = content };
        request.Headers.Authorization = Bearer;
        return new Exchange(request, Utf8("\"newClientSecret\":\"" + secret + "\""));
    }
}

/// <summary>
/// An RFC 6749 §4.4 client-credentials token request: <c>POST</c>, <c>application/x-www-form-urlencoded</c> body
/// <c>grant_type=client_credentials</c>, client authenticated with HTTP Basic (§2.3.1: client ID and secret each
/// form-urlencoded, then base64). Success is a 200 whose JSON carries <c>access_token</c> (§4.4.3, §5.1).
/// The body is the same for every request — the grant has no other required parameter — so requests differ only
/// where the protocol lets them; all go to one client, as on the peer.
/// </summary>
internal sealed class TokenTarget : Target
{
    private static readonly MediaTypeHeaderValue Form = new("application/x-www-form-urlencoded");
    private static readonly byte[] Body = Utf8("grant_type=client_credentials");
    private static readonly byte[] Expect = Utf8("\"access_token\"");
    private readonly Func<Fixtures, CancellationToken, Task<TokenService>> _start;
    private IReadOnlyList<ChildProcess> _nodes = [];
    private Uri[] _uris = [];
    private AuthenticationHeaderValue _basic = new("Basic", "");

    private TokenTarget(string key, string label, int concurrency, Func<Fixtures, CancellationToken, Task<TokenService>> start)
        : base(key, label, concurrency) => _start = start;

    public Dictionary<string, JsonElement>? PeerInfo { get; private set; }

    /// <summary>Both nodes of the two-node target, in the order requests alternate over them; the one server otherwise.</summary>
    public override IReadOnlyList<ChildProcess> Servers => _nodes;

    /// <summary>Rekey's <c>POST /oauth2/{serviceId}/token</c>, FULL store, its dedicated client.</summary>
    public static TokenTarget Rekey(int concurrency) =>
        OnRekey($"token-rekey@{concurrency}", "client credentials, Rekey /oauth2/{serviceId}/token", concurrency, "rekey-FULL", RekeyServerHost.Starter("FULL"));

    /// <summary>The same on a server of its own with the verification cache off: every request reads the client from SQLite, as before issue #20.</summary>
    public static TokenTarget RekeyNoCache(int concurrency) =>
        OnRekey($"token-rekey-nocache@{concurrency}", "client credentials, Rekey, SQLite FULL, verification cache off", concurrency, "rekey-full-nocache",
            RekeyServerHost.OnSqlite("rekey-full-nocache", RekeyServerHost.NoCache));

    /// <summary>
    /// Rekey's token endpoint on a PostgreSQL store (the server the postgres scenario's update uses): what issue #20
    /// measures against the SQLite figure, answered from the node's verification cache.
    /// </summary>
    public static TokenTarget Postgres(int concurrency) =>
        OnRekey($"token-postgres@{concurrency}", "client credentials, Rekey on PostgreSQL", concurrency, "rekey-postgres", RekeyServerHost.OnPostgresAsync);

    /// <summary>The same on a server and database of its own (<c>rekey_nocache</c>) with the cache off: every request reads the database, as before issue #20.</summary>
    public static TokenTarget PostgresNoCache(int concurrency) =>
        OnRekey($"token-postgres-nocache@{concurrency}", "client credentials, Rekey on PostgreSQL, verification cache off", concurrency, "rekey-postgres-nocache",
            RekeyServerHost.OnPostgres("rekey-postgres-nocache", "rekey_nocache", RekeyServerHost.NoCache));

    /// <summary>
    /// Two nodes on one database (<see cref="RekeyNodes"/>), one client: the requests alternate between node A and node
    /// B (by the parity of their sequence number), so the rate is the pair's aggregate and the server CPU the sum of both.
    /// </summary>
    public static TokenTarget PostgresNodes(int concurrency) => new($"token-postgres-2nodes@{concurrency}",
        "client credentials, two Rekey nodes on one PostgreSQL database, alternating", concurrency,
        async (fixtures, ct) =>
        {
            var nodes = await fixtures.GetAsync(RekeyNodes.Key, RekeyNodes.StartAsync, ct);
            var a = Of(nodes.A);
            return a with { Nodes = [.. a.Nodes, .. Of(nodes.B).Nodes] };
        });

    /// <summary>Rekey's token endpoint on the scale scenario's registry of <paramref name="clients"/> clients (the same server as its updates).</summary>
    public static TokenTarget Registry(int clients, int concurrency, TimeSpan seedBudget)
    {
        var name = "rekey-registry-" + UpdateTarget.Count(clients);
        return OnRekey($"token-registry-{UpdateTarget.Count(clients)}@{concurrency}", $"client credentials, Rekey, registry of {clients} clients", concurrency,
            name, RekeyServerHost.Registry(name, clients, seedBudget));
    }

    /// <summary>OpenIddict's token endpoint; <paramref name="lean"/> turns off token storage and access token encryption.</summary>
    public static TokenTarget OpenIddict(bool lean, int concurrency) => new(
        lean ? $"token-openiddict-lean@{concurrency}" : $"token-openiddict@{concurrency}",
        lean ? "client credentials, OpenIddict, no token storage, JWS only" : "client credentials, OpenIddict defaults",
        concurrency, async (fixtures, ct) =>
        {
            var host = await fixtures.GetAsync(lean ? "openiddict-lean" : "openiddict", PeerHost.Starter(lean), ct);
            return new TokenService([(host.Process, new Uri(host.Process.BaseAddress, "connect/token"))], PeerHost.ClientId, host.ClientSecret, host.Info, null);
        });

    /// <summary>HTTP Basic client authentication (RFC 6749 §2.3.1): client ID and secret each form-urlencoded, then base64.</summary>
    public static AuthenticationHeaderValue Basic(string clientId, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(clientId) + ":" + Uri.EscapeDataString(secret))));

    /// <summary>A client-credentials token request to <paramref name="endpoint"/>.</summary>
    public static HttpRequestMessage Request(Uri endpoint, AuthenticationHeaderValue basic)
    {
        var content = new ByteArrayContent(Body);
        content.Headers.ContentType = Form;
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = content };
        request.Headers.Authorization = basic;
        return request;
    }

    /// <summary>A Rekey server's token endpoint and its token client.</summary>
    public static TokenService Of(RekeyServerHost host) =>
        new([(host.Process, new Uri(host.Process.BaseAddress, $"oauth2/{host.ServiceId}/token"))],
            host.TokenClient.ClientId.ToString(System.Globalization.CultureInfo.InvariantCulture), host.TokenClient.Secret, null, host.Database);

    private static TokenTarget OnRekey(string key, string label, int concurrency, string hostKey, Func<Fixtures, CancellationToken, Task<RekeyServerHost>> start) =>
        new(key, label, concurrency, async (fixtures, ct) => Of(await fixtures.GetAsync(hostKey, start, ct)));

    public override async Task PrepareAsync(Fixtures fixtures, HttpClient http, CancellationToken ct)
    {
        var service = await _start(fixtures, ct);
        _nodes = service.Nodes.Select(n => n.Process).ToList();
        _uris = service.Nodes.Select(n => n.Endpoint).ToArray();
        Server = _nodes[0];
        Database = service.Database;
        PeerInfo = service.Info;
        _basic = Basic(service.ClientId, service.Secret);

        // One probe per node (consecutive sequence numbers alternate over them; the path is the same on every node).
        foreach (var endpoint in _uris)
        {
            var (status, body) = await ProbeAsync(http, ct);
            Unavailable = status switch
            {
                200 => null,
                404 or 405 => $"not available: POST {endpoint.AbsolutePath} answered {status} (no token endpoint in this server build)",
                _ => $"probe failed: {status} {Snippet(body)}",
            };
            if (Unavailable is not null)
            {
                return;
            }
        }
    }

    public override Exchange Create(long sequence) => new(Request(_uris[sequence % _uris.Length], _basic), Expect);
}

/// <summary>
/// Where a token target sends its requests: one or more nodes (the process and its token endpoint), one client and its
/// secret, what a peer reports about itself, and the PostgreSQL database behind the nodes (null on other stores).
/// </summary>
internal sealed record TokenService(IReadOnlyList<(ChildProcess Process, Uri Endpoint)> Nodes, string ClientId, string Secret,
    Dictionary<string, JsonElement>? Info, PostgresDatabase? Database);
